import {
  asDatabaseUnavailable,
  connectionFailureReason,
  DatabaseUnavailableError,
  dispositionOf,
  RetryableError,
} from "../../src";

/** An error as node-postgres or Node's net module raises it: a message and a code. */
function coded(code: string, message = "whatever the driver says"): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

describe("connectionFailureReason", () => {
  test.each([
    ["ECONNREFUSED", "connection refused"],
    ["ECONNRESET", "connection reset"],
    ["EPIPE", "connection closed while writing"],
    ["ETIMEDOUT", "connection timed out"],
    ["ENOTFOUND", "host not found"],
    ["57P01", "the server was shut down (admin_shutdown)"],
    ["57P02", "the server crashed (crash_shutdown)"],
    ["57P03", "the server is starting up or shutting down (cannot_connect_now)"],
    ["53300", "the server has too many connections (too_many_connections)"],
    ["08006", "connection failure (SQLSTATE 08006)"],
    ["08P01", "connection failure (SQLSTATE 08P01)"],
  ])("reads %s as a connection failure: %s", (code, reason) => {
    expect(connectionFailureReason(coded(code))).toBe(reason);
  });

  test.each([
    ["23505", "a unique violation"],
    ["40001", "a serialization failure"],
    ["42P01", "a missing table"],
    ["57014", "a cancelled statement"],
    ["28P01", "a wrong password"],
  ])("does not read %s (%s) as one", (code) => {
    expect(connectionFailureReason(coded(code))).toBeUndefined();
  });

  test("decides by code, never by message text", () => {
    expect(connectionFailureReason(new Error("Connection terminated unexpectedly"))).toBeUndefined();
    expect(connectionFailureReason(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBeUndefined();
    expect(connectionFailureReason(coded("ECONNREFUSED", "nothing telling"))).toBe("connection refused");
  });

  test("finds the failure in a cause, or in an AggregateError of every address a connect tried", () => {
    const wrapped = new Error("load failed", { cause: coded("ECONNRESET") });
    const everyAddress = new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "connect failed");

    expect(connectionFailureReason(wrapped)).toBe("connection reset");
    expect(connectionFailureReason(everyAddress)).toBe("connection refused");
  });

  test("reads values that are not errors as no failure", () => {
    for (const value of [undefined, null, "ECONNREFUSED", 42, { code: 57 }])
      expect(connectionFailureReason(value)).toBeUndefined();
  });
});

describe("asDatabaseUnavailable", () => {
  test("wraps a connection failure in a retryable DatabaseUnavailableError keeping it as cause", () => {
    const refused = coded("ECONNREFUSED");

    const error = asDatabaseUnavailable(refused);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(dispositionOf(error)).toBe("retry");
    expect(error).toMatchObject({
      code: "database-unavailable",
      reason: "connection refused",
      message: "database unavailable: connection refused",
      cause: refused,
    });
  });

  test("returns a DatabaseUnavailableError as it is, and nothing for other errors", () => {
    const unavailable = new DatabaseUnavailableError("connection lost");

    expect(asDatabaseUnavailable(unavailable)).toBe(unavailable);
    expect(asDatabaseUnavailable(coded("23505"))).toBeUndefined();
  });
});
