import assert from "node:assert/strict";
import { BertTokenizer, longestFirst } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB } from "../data/samples.ts";
import { loadVocab, parseVocab } from "../data/vocab.ts";
import { readWikiLines } from "../bench/tokenize.ts";
import { SAMPLE_CORPUS as WIKI_SAMPLE } from "../data/samples.ts";
import { seededRandom } from "./_helpers.ts";

const tok = await BertTokenizer.load();

// ---------------------------------------------------------------------------------------------
// Reference: a line-by-line transliteration of HuggingFace's Python `BertTokenizer` (slow) path,
// kept deliberately naive and independent of data/: `PreTrainedTokenizer.tokenize` splits out the
// special tokens and lowercases the rest one character at a time, then `BasicTokenizer.tokenize`
// (_clean_text, _tokenize_chinese_chars, NFC, whitespace_tokenize, lower + _run_strip_accents,
// _run_split_on_punc, whitespace_tokenize) and `WordpieceTokenizer.tokenize`.
// ---------------------------------------------------------------------------------------------

const VOCAB_LINES = (await Deno.readTextFile(DEFAULT_VOCAB)).split("\n").slice(0, -1);
const REF_VOCAB = new Map(VOCAB_LINES.map((t, i) => [t, i]));
const REF_SPECIAL = /(\[PAD\]|\[UNK\]|\[CLS\]|\[SEP\]|\[MASK\])/;
// Python's str.isspace(), what str.split() splits on.
// deno-lint-ignore no-control-regex
const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

const pySplit = (s: string) => s.split(PY_SPACE).filter((t) => t.length > 0);
const isWhitespace = (ch: string) => " \t\n\r".includes(ch) || /^\p{Zs}$/u.test(ch);
const isControl = (ch: string) => !"\t\n\r".includes(ch) && /^\p{C}$/u.test(ch);
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if (
    (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)
  ) {
    return true;
  }
  return /^\p{P}$/u.test(ch);
}
function isChinese(cp: number): boolean {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
    (cp >= 0x20000 && cp <= 0x2A6DF) ||
    (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) ||
    (cp >= 0x2B820 && cp <= 0x2CEAF) ||
    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/** The words of HuggingFace's BasicTokenizer: the normaliser of the consistency tests. */
function refBasicTokenize(segment: string): string[] {
  let text = [...segment].map((c) => c.toLowerCase()).join("");
  let cleaned = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    cleaned += isWhitespace(ch) ? " " : ch;
  }
  text = "";
  for (const ch of cleaned) text += isChinese(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  const split: string[] = [];
  for (const word of pySplit(text.normalize("NFC"))) {
    const stripped = [...word.toLowerCase().normalize("NFD")].filter((c) => !/^\p{Mn}$/u.test(c)).join("");
    let startNewWord = true;
    for (const ch of stripped) {
      if (isPunctuation(ch)) {
        split.push(ch);
        startNewWord = true;
      } else {
        if (startNewWord) split.push("");
        startNewWord = false;
        split[split.length - 1] += ch;
      }
    }
  }
  return pySplit(split.join(" "));
}

function refWordPiece(word: string): string[] {
  const chars = [...word];
  if (chars.length > 100) return ["[UNK]"];
  const pieces: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = chars.length;
    let current: string | null = null;
    while (start < end) {
      let sub = chars.slice(start, end).join("");
      if (start > 0) sub = "##" + sub;
      if (REF_VOCAB.has(sub)) {
        current = sub;
        break;
      }
      end--;
    }
    if (current === null) return ["[UNK]"];
    pieces.push(current);
    start = end;
  }
  return pieces;
}

function refTokenize(text: string): string[] {
  return text.split(REF_SPECIAL).flatMap((segment, i) =>
    i % 2 === 1 ? [segment] : refBasicTokenize(segment).flatMap(refWordPiece)
  );
}

const ids = (...tokens: string[]) => tokens.map((t) => REF_VOCAB.get(t)!);

/** A seeded string of awkward characters: every class the tokenizer treats differently. */
function nastyText(random: () => number): string {
  const alphabet = [
    "a",
    "b",
    "Z",
    "Q",
    "7",
    "0",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    ".",
    ",",
    "'",
    "-",
    "$",
    "#",
    "[",
    "]",
    "é",
    "E\u0301",
    "Ñ",
    "ß",
    "İ",
    "Σ",
    "ς",
    "ΟΔΟΣ",
    "ὀ",
    "中",
    "国",
    "\u{20000}",
    "\uF900",
    "한",
    "ｱ",
    "\u0000",
    "\u0001",
    "\x7f",
    "\x0b",
    "\x0c",
    "\x85",
    "\u200b",
    "\ufeff",
    "\ufffd",
    "\u00a0",
    "\u2028",
    "\u3000",
    "\u1680",
    "—",
    "–",
    "…",
    "«",
    "»",
    "¿",
    "°",
    "€",
    "©",
    "½",
    "①",
    "Ⅻ",
    "ǅ",
    "ﬁ",
    "😀",
    "\u1fef",
    "\u0301",
    "\u0338",
    "=",
    "\ud800",
    "\udc00",
    "[SEP]",
    "[sep]",
    "[MASK",
    "[CLS][PAD]",
    "strawberries",
    "Hello",
    "unaffable",
    "naïve",
    "Ελληνικά",
    "русский",
    "العربية",
    "हिन्दी",
    "日本語",
    "ｶﾀｶﾅ",
    "ไทย",
  ];
  let s = "";
  const n = Math.floor(random() * 40);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)]!;
  return s;
}

// ---------------------------------------------------------------------------------------------

Deno.test("encodeIds() gives the known ids of plain text", () => {
  assert.deepEqual(tok.encodeIds("i like strawberries"), [1045, 2066, 13137, 20968]);
  assert.deepEqual(tok.tokenize("I like strawberries"), ["i", "like", "straw", "##berries"]);
  assert.deepEqual(tok.encodeIds("unaffable"), ids("una", "##ffa", "##ble"));
  assert.deepEqual(tok.encodeIds("Hello world"), [7592, 2088]);
});

Deno.test("encodeIds() lowercases and strips accents, precomposed or combining", () => {
  for (const text of ["Héllo", "HÉLLO", "He\u0301llo", "hello"]) {
    assert.deepEqual(tok.encodeIds(text), [7592], text);
  }
  assert.deepEqual(tok.encodeIds("Café naïve Résumé"), ids("cafe", "naive", "resume"));
  // Lowercasing is per character (as HuggingFace's), so a word-final capital sigma becomes σ, not ς.
  assert.deepEqual(tok.tokenize("ΟΔΟΣ"), tok.tokenize("οδοσ"));
  // NFD splits Hangul syllables into jamo, as uncased BERT does.
  assert.deepEqual(tok.tokenize("한"), tok.tokenize("\u1112\u1161\u11ab"));
});

Deno.test("encodeIds() splits every punctuation character, ASCII symbols included, not other symbols", () => {
  assert.deepEqual(tok.encodeIds("Hello, world!"), [7592, 1010, 2088, 999]);
  assert.deepEqual(tok.encodeIds("don't"), [2123, 1005, 1056]);
  assert.deepEqual(tok.encodeIds("$5.00"), [1002, 1019, 1012, 4002]);
  assert.deepEqual(tok.encodeIds("a—b–c"), ids("a", "—", "b", "–", "c"));
  // "°" is a symbol (So), not punctuation: it stays inside the word.
  assert.deepEqual(tok.tokenize("5°c"), ["5", "##°", "##c"]);
});

Deno.test("encodeIds() isolates Chinese characters", () => {
  assert.deepEqual(tok.encodeIds("中国人"), [1746, 1799, 1756]);
  assert.deepEqual(tok.encodeIds("hello中world"), [7592, 1746, 2088]);
});

Deno.test("encodeIds() drops control characters and treats tab, newline and Zs as spaces", () => {
  assert.deepEqual(tok.encodeIds("hel\u0000lo"), [7592]);
  assert.deepEqual(tok.encodeIds("\u200bhe\ufffdllo\x7f"), [7592]);
  assert.deepEqual(tok.encodeIds("hello\tworld\nhello\u00a0world\u3000!"), [7592, 2088, 7592, 2088, 999]);
  // \v is a control character to HuggingFace, so it joins rather than separates.
  assert.deepEqual(tok.encodeIds("hel\x0blo"), [7592]);
});

Deno.test("encodeIds() turns a word over 100 characters into one [UNK]", () => {
  assert.deepEqual(tok.encodeIds("a".repeat(101)), [100]);
  assert.deepEqual(tok.encodeIds(`x ${"é".repeat(101)} x`), [1060, 100, 1060]);
  const hundred = tok.encodeIds("a".repeat(100));
  assert.ok(!hundred.includes(100) && tok.decode(hundred) === "a".repeat(100));
  // The limit counts characters after accent stripping: 60 "e\u0301" are 120 units but 60 characters.
  assert.ok(!tok.encodeIds("e\u0301".repeat(60)).includes(100));
  assert.deepEqual(tok.encodeIds("qq\u0378"), ids("q", "##q")); // U+0378 is unassigned: dropped
});

Deno.test("encodeIds() of empty or blank input is empty; encode() still adds [CLS] [SEP]", () => {
  assert.deepEqual(tok.encodeIds(""), []);
  assert.deepEqual(tok.encodeIds(" \t\n\u0000 "), []);
  assert.deepEqual(tok.encode("").ids, [101, 102]);
});

Deno.test("special tokens written in the text keep their ids (case-sensitive), as in HuggingFace", () => {
  assert.deepEqual(tok.encodeIds("a[SEP]b [MASK]"), [1037, 102, 1038, 103]);
  assert.deepEqual(tok.encodeIds("[sep]"), ids("[", "sep", "]"));
});

Deno.test("encode() builds [CLS] A [SEP] B [SEP] with token types and truncates longest first", () => {
  const e = tok.encode("a b c d e", { pair: "x b", maxLength: 7 });
  assert.deepEqual(e.ids, [101, 1037, 1038, 102, 1060, 1038, 102]);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(e.attentionMask, [1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(e.specialTokensMask, [1, 0, 0, 1, 0, 0, 1]);
  // HuggingFace removes one id at a time from the longer side, from B on ties.
  assert.deepEqual(longestFirst(5, 3, 4), [2, 2]);
  assert.deepEqual(longestFirst(3, 3, 5), [3, 2]);
  assert.deepEqual(longestFirst(3, 3, 3), [2, 1]);
  assert.deepEqual(longestFirst(2, 6, 5), [2, 3]);
  assert.deepEqual(longestFirst(9, 0, 4), [4, 0]);
  assert.deepEqual(longestFirst(2, 2, 10), [2, 2]);
  assert.deepEqual(tok.encode("a b c", { maxLength: 2 }).ids, [101, 102]);
  assert.throws(() => tok.encode("a", { pair: "b", maxLength: 2 }), RangeError);
});

Deno.test("encode() pads to maxLength with [PAD], type 0 and mask 0", () => {
  const e = tok.encode("hello", { maxLength: 5, padding: true });
  assert.deepEqual(e.ids, [101, 7592, 102, 0, 0]);
  assert.deepEqual(e.attentionMask, [1, 1, 1, 0, 0]);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 0]);
  assert.deepEqual(e.offsets, [[0, 0], [0, 5], [0, 0], [0, 0], [0, 0]]);
  assert.deepEqual(tok.encode("hello", { addSpecialTokens: false, maxLength: 2, padding: true }).ids, [
    7592,
    0,
  ]);
  assert.throws(() => tok.encode("hello", { padding: true }), RangeError);
});

Deno.test("encode() gives offsets into the original text", () => {
  const text = "Héllo, Strawberries! 中x";
  const pair = "  a\u0000b";
  const e = tok.encode(text, { pair });
  assert.deepEqual(e.offsets, [
    [0, 0],
    [0, 5],
    [5, 6],
    [7, 12],
    [12, 19],
    [19, 20],
    [21, 22],
    [22, 23],
    [0, 0],
    [2, 5],
    [0, 0],
  ]);
  const spans = e.offsets.map(([s, t], k) => (e.tokenTypeIds[k] ? pair : text).slice(s, t));
  assert.deepEqual(spans, ["", "Héllo", ",", "Straw", "berries", "!", "中", "x", "", "a\u0000b", ""]);
  // A dropped combining accent belongs to no token: the word "ex" is "e" and "x", [0, 3).
  assert.deepEqual(tok.encode("e\u0301x", { addSpecialTokens: false }).offsets, [[0, 3]]);
});

Deno.test("decode() joins ## pieces and can skip special tokens", () => {
  const e = tok.encode("I like strawberries.");
  assert.equal(tok.decode(e.ids), "[CLS] i like strawberries . [SEP]");
  assert.equal(tok.decode(e.ids, { skipSpecialTokens: true }), "i like strawberries .");
  assert.equal(tok.decode(tok.encodeIds("I don't know."), { cleanUpSpaces: true }), "i don't know.");
  assert.equal(tok.decode([]), "");
  assert.throws(() => tok.decode([30522]), /30522/);
});

Deno.test("ids equal the HuggingFace reference on awkward seeded strings", () => {
  const random = seededRandom(4);
  for (let i = 0; i < 3000; i++) {
    const text = nastyText(random);
    assert.deepEqual(tok.tokenize(text), refTokenize(text), JSON.stringify(text));
  }
});

Deno.test("ids equal the HuggingFace reference on real Wikipedia lines, and decode() gives the normalised text", async () => {
  const lines = await readWikiLines(WIKI_SAMPLE.slice(0, 2));
  assert.ok(lines.length > 2000, `only ${lines.length} lines`);
  let unknown = 0;
  let words = 0;
  for (const line of lines) {
    const got = tok.encodeIds(line);
    assert.deepEqual(tok.tokenize(line), refTokenize(line), line);
    // decode(encode(x)) is the normalised text, word for word, but for words that became [UNK].
    const normalised = refBasicTokenize(line);
    const decoded = tok.decode(got).split(" ").filter((w) => w.length > 0);
    assert.equal(decoded.length, normalised.length, line);
    decoded.forEach((w, k) => {
      if (w === "[UNK]") unknown++;
      else assert.equal(w, normalised[k], line);
    });
    words += normalised.length;
  }
  assert.ok(words > 200_000 && unknown < words / 1000, `${unknown} [UNK] in ${words} words`);
});

Deno.test("offsets of each word's pieces cover exactly the original characters of that word", async () => {
  const random = seededRandom(7);
  const texts = [
    ...(await readWikiLines(WIKI_SAMPLE.slice(2, 3))),
    ...Array.from({ length: 2000 }, () => nastyText(random)),
  ];
  for (const text of texts) {
    const { ids: got, offsets } = tok.encode(text, { addSpecialTokens: false });
    // Group pieces into words: a piece without "##" starts one.
    for (let k = 0; k < got.length;) {
      let end = k + 1;
      while (end < got.length && tok.vocab.tokens[got[end]!]!.startsWith("##")) end++;
      const [start] = offsets[k]!;
      const stop = offsets[end - 1]![1];
      assert.ok(start < stop && (k === 0 || start >= offsets[k - 1]![1]), JSON.stringify(text));
      const word = tok.decode(got.slice(k, end));
      const source = text.slice(start, stop);
      const context = `${JSON.stringify(text)} at ${start}`;
      if (word === "[UNK]") assert.equal(refBasicTokenize(source).length, 1, context);
      else if (/^\[(PAD|CLS|SEP|MASK)\]$/.test(word)) assert.equal(source, word, context);
      else assert.deepEqual(refBasicTokenize(source), [word], context);
      k = end;
    }
  }
});

Deno.test("loadVocab() reads bert-base-uncased and refuses a vocab without special tokens, naming the file", async () => {
  const vocab = await loadVocab();
  assert.equal(vocab.size, 30522);
  assert.deepEqual(vocab.special, { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
  assert.equal(vocab.token(1996), "the");
  assert.throws(
    () => parseVocab("[PAD]\n[UNK]\nhello\n", "tiny.txt"),
    /"tiny.txt".*missing \[CLS\], \[SEP\], \[MASK\]/,
  );
  await assert.rejects(
    () => loadVocab("no/such/vocab.txt"),
    /Cannot load vocab "no\/such\/vocab.txt": file not found/,
  );
  // CRLF and a duplicate (the last id wins, as in HuggingFace).
  const crlf = parseVocab("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nab\r\n##c\r\nab\r\n", "crlf.txt");
  assert.equal(crlf.id("ab"), 7);
  assert.deepEqual(new BertTokenizer(crlf).encodeIds("abc AB"), [7, 6, 7]);
  // The 100-character limit counts code points, not UTF-16 units (this vocab has an astral token).
  const astral = new BertTokenizer(
    parseVocab("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n😀\n##😀\n", "astral.txt"),
  );
  assert.deepEqual(astral.encodeIds("😀".repeat(60)), [5, ...Array(59).fill(6)]);
  assert.deepEqual(astral.encodeIds("😀".repeat(101)), [1]);
});
