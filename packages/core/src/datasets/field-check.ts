/**
 * One field's compiled check: the normalised value, `null` for NULL, or `undefined` when the
 * value is refused, after the check gave the reason to its {@link Fail} callback. No result
 * object per value keeps the row validator's hot loop allocation-free.
 *
 * Only types live here: a function imported from another module is reached through a getter
 * once modules are CommonJS (tsx, jest), which on a per-value path cost a third of the
 * validator's speed; each module keeps its small helpers local.
 */
export type FieldCheck = (raw: unknown) => string | null | undefined;

/** Records why a value is refused and returns `undefined`, so a check can `return fail(…)`. */
export type Fail = (reason: string) => undefined;
