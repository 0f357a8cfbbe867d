/**
 * The forms a secret can take once it has left the process: as is, JSON-escaped, URL-encoded, in
 * hex, and inside a base64 or base64url stream. Base64 is the tricky one: a secret embedded at an
 * arbitrary offset of a larger base64 text encodes differently for each of the three byte
 * alignments, and the characters at its two ends depend on its neighbours. So each alignment
 * contributes only the characters it fully determines, and the three together find the secret
 * wherever it sits.
 */
export interface Secret {
  /** What it is, for the report (never the value). */
  name: string;
  value: Buffer;
}

export interface SearchForm {
  secret: string;
  kind: string;
  bytes: Buffer;
  /** The bytes as latin1 text: one character per byte, for searching decoded sources. */
  text: string;
}

export interface Source {
  /** Where the text came from: a log file, a CLI command, the database dump. */
  name: string;
  data: Buffer;
}

export interface Hit {
  source: string;
  secret: string;
  kind: string;
  offset: number;
  /** The surrounding bytes with every secret form masked: safe to print. */
  context: string;
}

/** Shorter forms would match by chance in megabytes of logs; every real secret here is longer. */
const minFormLength = 8;

export function searchForms(secret: Secret): SearchForm[] {
  const { value } = secret;
  // A short secret's hex or base64 would be long enough, but matches just as much by chance.
  if (value.length < minFormLength) return [];
  const forms = new Map<string, Buffer>();
  const add = (kind: string, bytes: Buffer) => {
    if (bytes.length < minFormLength) return;
    if ([...forms.values()].some((b) => b.equals(bytes))) return;
    forms.set(kind, bytes);
  };
  add('plain', value);
  const text = value.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(value)) {
    add('json-escaped', Buffer.from(JSON.stringify(text).slice(1, -1)));
    add('url-encoded', Buffer.from(encodeURIComponent(text)));
  }
  add('hex', Buffer.from(value.toString('hex')));
  add('HEX', Buffer.from(value.toString('hex').toUpperCase()));
  for (let shift = 0; shift < 3; shift++) {
    const whole = Math.floor((value.length - shift) / 3) * 3;
    if (whole <= 0) continue;
    const part = value.subarray(shift, shift + whole);
    add(`base64+${shift}`, Buffer.from(part.toString('base64')));
    add(`base64url+${shift}`, Buffer.from(part.toString('base64url')));
  }
  return [...forms].map(([kind, bytes]) => ({
    secret: secret.name,
    kind,
    bytes,
    text: bytes.toString('latin1'),
  }));
}

/**
 * Every occurrence of every form in every source, one hit per secret and neighbourhood. One pass
 * per source, looking each position's first bytes up among the forms: a chaos run has thousands
 * of forms and tens of megabytes of logs, too many for one search per form.
 */
export function findHits(sources: Source[], secrets: Secret[]): Hit[] {
  const forms = secrets.flatMap(searchForms);
  const byPrefix = new Map<string, SearchForm[]>();
  for (const form of forms) {
    const prefix = form.text.slice(0, minFormLength);
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), form]);
  }
  const hits: Hit[] = [];
  for (const source of sources) {
    const text = source.data.toString('latin1');
    const seen = new Set<string>();
    for (let at = 0; at + minFormLength <= text.length; at++) {
      const candidates = byPrefix.get(text.substr(at, minFormLength));
      if (!candidates) continue;
      for (const form of candidates) {
        if (!text.startsWith(form.text, at)) continue;
        // Nearby offsets of one secret are one leak seen through two forms or alignments.
        const key = `${form.secret}@${Math.floor(at / 64)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        hits.push({
          source: source.name,
          secret: form.secret,
          kind: form.kind,
          offset: at,
          context: maskedContext(source.data, at, form.bytes.length, forms),
        });
      }
    }
  }
  return hits;
}

/**
 * Up to 40 bytes either side of a hit, with every byte that belongs to an occurrence of any
 * secret form (also one cut by the window's edge) replaced by that secret's name.
 */
function maskedContext(data: Buffer, at: number, length: number, forms: SearchForm[]): string {
  const from = Math.max(0, at - 40);
  const to = Math.min(data.length, at + length + 40);
  const owner = new Array<string | undefined>(to - from);
  for (const form of forms) {
    const n = form.bytes.length;
    // Only occurrences that overlap the window: search a slice, not the whole source.
    const lo = Math.max(0, from - n + 1);
    const near = data.subarray(lo, Math.min(data.length, to + n - 1));
    for (let i = near.indexOf(form.bytes); i !== -1; i = near.indexOf(form.bytes, i + 1)) {
      const start = lo + i;
      for (let j = Math.max(start, from); j < Math.min(start + n, to); j++) {
        owner[j - from] = form.secret;
      }
    }
  }
  let out = '';
  for (let j = 0; j < owner.length; j++) {
    const name = owner[j];
    if (name === undefined) {
      const c = data[from + j]!;
      out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    } else if (j === 0 || owner[j - 1] !== name) {
      out += `<${name}>`;
    }
  }
  return out;
}
