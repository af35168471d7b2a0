import type { DatasetContract } from "@sluice/core";
import type { RecordSink } from "./staging-writer";

/** A positive line number as CSV text: no sign, no leading zero, no fraction. */
const LINE_NUMBER = /^[1-9][0-9]{0,15}$/;

/**
 * For CSV content that carries, in column `column`, the line of the original object each record
 * came from (the legacy program's output of a fixed-width object): the contract the parser reads
 * (the fields, then that column, required) and a sink that names each record by that column's
 * value instead of its line in the CSV. The row validator keeps the real contract: it reads the
 * fields only, so the extra last value never reaches the staged rows.
 *
 * A record whose column is not a line number is rejected at its CSV line; rejections the parser
 * makes before any column is read (a wrong field count) keep their CSV line too.
 */
export function withSourceLines(
  contract: DatasetContract,
  column: string,
  sink: RecordSink,
): { contract: DatasetContract; sink: RecordSink } {
  const index = contract.fields.length;
  return {
    contract: {
      ...contract,
      fields: [...contract.fields, { name: column, type: "integer", required: true }],
    },
    sink: {
      record(values, line) {
        const source = values[index];
        if (typeof source === "string" && LINE_NUMBER.test(source)) {
          sink.record(values, Number(source));
          return;
        }
        sink.reject({
          line,
          field: column,
          reason: "is not the line of the original object",
          value: String(source ?? ""),
        });
      },
      reject: (rejection) => sink.reject(rejection),
    },
  };
}
