// The paper's message flows by name (§4.2: MMS Fig 6-7, web Fig 8-9, and
// email). A module of its own so that the CLI's help can list them without
// loading the network model.
export const flowNames = ["mms", "web", "email"] as const;
export type FlowName = (typeof flowNames)[number];
