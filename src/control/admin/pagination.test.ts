import { describe, expect, test } from "bun:test";
import { decodeCursor, encodeCursor } from "./pagination.ts";

const cursor = { createdAt: "2030-01-15T12:00:00.123456Z", id: "0f8fad5b-d9cb-469f-a165-70867728950e" };

describe("page cursors", () => {
  test("round-trip, opaque (no raw timestamp or id visible)", () => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(text).not.toContain(cursor.id);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  const bad = [
    "",
    "!!!",
    Buffer.from("{}").toString("base64url"),
    Buffer.from(JSON.stringify([cursor.createdAt])).toString("base64url"),
    Buffer.from(JSON.stringify(["2030-01-15T12:00:00Z", cursor.id])).toString("base64url"),
    Buffer.from(JSON.stringify(["2030-02-30T12:00:00.000000Z", cursor.id])).toString("base64url"),
    Buffer.from(JSON.stringify([cursor.createdAt, "x"])).toString("base64url"),
    Buffer.from(JSON.stringify([cursor.createdAt, cursor.id, 1])).toString("base64url"),
  ];
  for (const text of bad) test(`${JSON.stringify(text)} is refused`, () => expect(decodeCursor(text)).toBeNull());
});
