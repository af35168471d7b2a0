import { resolveLocalContractsDir } from "@sluice/datasets";
import type { GlobalOptions } from "../../context";

/** The contracts folder a command works with: `--contracts` / `SLUICE_CONTRACTS_DIR`, else the repository's. */
export function contractsDirOf(globals: Pick<GlobalOptions, "contractsDir">): string {
  return globals.contractsDir ?? resolveLocalContractsDir();
}
