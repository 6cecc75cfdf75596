// A synchronous call into V8's inspector from this same thread (heap
// profiler sessions in the allocation benches).
import type { Session } from "node:inspector";

/** One node of a sampling heap profile. */
export interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** session.post answered in place: the inspector replies within post() for a same-thread session. */
export function post<T>(session: Session, method: string, params: object = {}): T {
  let result: T | undefined;
  let failure: Error | null = null;
  session.post(method, params, (error, value) => {
    failure = error;
    result = value as T;
  });
  if (failure !== null) throw failure;
  if (result === undefined) throw new Error(`${method}: no synchronous answer`);
  return result;
}
