import { describe, expect, test } from "bun:test";
import { csvCell, csvLine } from "./csv.ts";

describe("csvCell", () => {
  const cases: [string, Parameters<typeof csvCell>[0], string][] = [
    ["plain text", "gpt-4o", "gpt-4o"],
    ["null", null, ""],
    ["undefined", undefined, ""],
    ["empty string", "", ""],
    ["comma", "a,b", '"a,b"'],
    ["quote", 'say "hi"', '"say ""hi"""'],
    ["LF", "a\nb", '"a\nb"'],
    ["CRLF", "a\r\nb", '"a\r\nb"'],
    ["formula =", "=1+1", `"'=1+1"`],
    ["DDE payload", "=cmd|' /C calc'!A0", `"'=cmd|' /C calc'!A0"`],
    ["formula +", "+1", `"'+1"`],
    ["formula -", "-1", `"'-1"`],
    ["formula @", "@SUM(A1)", `"'@SUM(A1)"`],
    ["leading tab", "\t=1", `"'\t=1"`],
    ["leading CR", "\r=1", `"'\r=1"`],
    ["formula with quotes and commas", '=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ["= not at the start", "a=b", "a=b"],
    ["negative number", -3, "-3"],
    ["fractional number", 0.1, "0.1"],
    ["boolean", true, "true"],
  ];
  for (const [name, input, expected] of cases) test(name, () => expect(csvCell(input)).toBe(expected));
});

test("csvLine joins cells with commas and ends with CRLF", () => {
  expect(csvLine(["a", null, 3, "x,y", "=1"])).toBe(`a,,3,"x,y","'=1"\r\n`);
});
