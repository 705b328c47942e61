import { createHash } from 'node:crypto';

/** What a name this module made by hashing ends with: "-" and 8 (or, to break a collision, 16) hex digits. */
const HASHED_SUFFIX = /-[0-9a-f]{8}(?:[0-9a-f]{8})?$/;

/**
 * A name ending like a team's CSV: kept as it is, team "x.csv" would own the pack folder teams/x.csv/
 * where team "x" has its file teams/x.csv (a publish to a directory then fails), so it is hashed.
 */
const CSV_SUFFIX = /\.csv$/i;

/** Longest kept part of a label value in a file name (before the hash suffix): characters, and UTF-8 bytes. */
const MAX_KEPT = 80;
const MAX_KEPT_BYTES = 200;

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** UTF-8 bytes of one code point. */
function utf8Bytes(char: string): number {
  const cp = char.codePointAt(0)!;
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/**
 * The value reduced to letters and digits of any script (Unicode L and N: a Korean or Japanese team
 * keeps its name) and "._-", NFC-normalized (combining marks are left out: an IAM principal tag value,
 * which the per-team read policy compares with the file name, allows letters and digits but not marks), starting with a letter or digit, at most
 * {@link MAX_KEPT} characters and {@link MAX_KEPT_BYTES} UTF-8 bytes (the name, its hash suffix and
 * ".csv" stay under the 255-byte file-name limit). Anything else — spaces, slashes, control, format and
 * bidi characters, symbols — becomes "_".
 */
function cleaned(value: string): string {
  const reduced = value
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/^[^\p{L}\p{N}]+/u, '');
  let out = '';
  let bytes = 0;
  for (const char of Array.from(reduced).slice(0, MAX_KEPT)) {
    bytes += utf8Bytes(char);
    if (bytes > MAX_KEPT_BYTES) break;
    out += char;
  }
  return out;
}

/**
 * A file-name-safe key for a label value (team names come from cluster labels and are attacker-
 * controlled). Keeps letters and digits of any script and "._-" (see cleaned), replaces anything
 * else with "_", never starts with a dot, caps the length, and appends "-" + the first 8 hex digits of the value's SHA-256 whenever the value had to
 * change — or already ends like such a suffix, or like ".csv" — so "ml/research" (→ ml_research-<sha8>) and a team
 * literally named "ml_research-<sha8>" (→ ml_research-<sha8>-<its own sha8>) never share a file.
 * Names that need no change stay as they are (readable, in the team's own script); a name that is not in
 * Unicode NFC counts as changed, so two spellings of one name never share a file, even on a file system
 * that normalizes names. Pure: the same value always gives the same name.
 */
export function safeFileName(value: string): string {
  const kept = cleaned(value);
  if (kept === value && kept.length > 0 && !HASHED_SUFFIX.test(kept) && !CSV_SUFFIX.test(kept)) return kept;
  return `${kept || 'x'}-${sha256Hex(value).slice(0, 8)}`;
}

/**
 * The file name (without extension) of each team's CSV in one month: {@link safeFileName}, except that
 * names equal ignoring case ("ML" and "ml", which one file on a case-insensitive file system such as a
 * laptop's would hold) or equal by an 8-digit hash collision get "-" + 16 hex digits of their own hash
 * instead. The result is checked to be injective (ignoring case); a collision left after that (which
 * would need a 64-bit hash collision) throws rather than let one team's file replace another's. The
 * manifest records each file's team, so `get --team` finds it whatever its name.
 */
export function teamFileNames(teams: Iterable<string>): Map<string, string> {
  const unique = [...new Set(teams)];
  const byFolded = new Map<string, string[]>();
  for (const team of unique) {
    const folded = safeFileName(team).toLowerCase();
    byFolded.set(folded, [...(byFolded.get(folded) ?? []), team]);
  }
  const names = new Map<string, string>();
  for (const team of unique) {
    const group = byFolded.get(safeFileName(team).toLowerCase())!;
    names.set(
      team,
      group.length === 1 ? safeFileName(team) : `${cleaned(team) || 'x'}-${sha256Hex(team).slice(0, 16)}`,
    );
  }
  const taken = new Map<string, string>();
  for (const [team, name] of names) {
    const other = taken.get(name.toLowerCase());
    if (other !== undefined) {
      throw new RangeError(
        `teams ${JSON.stringify(other)} and ${JSON.stringify(team)} map to the same file name "${name}"; nothing was published`,
      );
    }
    taken.set(name.toLowerCase(), team);
  }
  return names;
}
