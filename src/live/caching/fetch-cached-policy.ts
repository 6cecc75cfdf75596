// When a live phone fetches a file the server cached for it (paper §5.1):
// on the server's notice, later, or never. A module of its own so that the
// CLI's help can list the policies without loading the caching client.
export const fetchCachedPolicies = ["on-notice", "later", "never"] as const;
export type FetchCachedPolicy = (typeof fetchCachedPolicies)[number];
