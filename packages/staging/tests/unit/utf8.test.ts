import { completeUtf8Length, firstInvalidUtf8Offset } from "../../src/decode/utf8";

describe("UTF-8 checks", () => {
  it.each([
    ["a lone continuation byte", [0x61, 0x80, 0x62], 1],
    ["an overlong slash", [0x61, 0xc0, 0xaf], 1],
    ["an overlong three-byte form", [0xe0, 0x80, 0xaf], 0],
    ["a UTF-16 surrogate", [0x61, 0x62, 0xed, 0xa0, 0x80], 2],
    ["a code point past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
    ["a Latin-1 é", [0x63, 0x61, 0x66, 0xe9, 0x0a], 3],
    ["a sequence cut by the end", [0x61, 0xe2, 0x82], 1],
  ])("finds %s at its offset", (_what, bytes, offset) => {
    // act
    const found = firstInvalidUtf8Offset(Uint8Array.from(bytes));

    // assert
    expect(found).toBe(offset);
  });

  it("finds nothing wrong in valid text of every sequence length", () => {
    // prepare
    const bytes = Buffer.from("a é € 😀");

    // act
    const found = firstInvalidUtf8Offset(bytes);

    // assert
    expect(found).toBe(bytes.length);
  });

  it("stops a chunk before a multi-byte character it cuts", () => {
    // prepare
    const euro = Buffer.from("a€");

    // act
    const lengths = [1, 2, 3, 4].map((end) => completeUtf8Length(euro.subarray(0, end)));

    // assert
    expect(lengths).toEqual([1, 1, 1, 4]);
  });
});
