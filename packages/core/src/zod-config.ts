import * as z from "zod/mini";
import { en } from "zod/v4/locales";

// zod/mini ships without messages (for bundle size); Sluice's errors are read by people, so
// load the English ones once, wherever a schema is defined.
z.config(en());

/**
 * The first problem zod found, as Sluice's errors name it: the dotted path of the wrong field
 * (`data.object.key`, `counts.staged`; `prefix` put in front) and zod's message.
 */
export function firstIssueOf(error: z.core.$ZodError, prefix = ""): { field: string; message: string } {
  const issue = error.issues[0];
  return { field: prefix + (issue?.path.join(".") ?? ""), message: issue?.message ?? "invalid" };
}
