/**
 * Port lists as security-group rules write them (`22,80-81`): parsing, coverage and the
 * `multiport` form. Used by the adapter (which rules are missing) and by the simulator (which
 * ports a server exposes).
 */
export interface PortRange {
  min: number;
  max: number;
}

/** Parses `22,80-81` into ranges; throws a message naming the bad part. Empty → []. */
export function parsePorts(spec: string): PortRange[] {
  const text = (spec ?? '').trim();
  if (text === '') return [];
  return text.split(',').map((part) => {
    const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(part);
    const min = m ? Number(m[1]) : Number.NaN;
    const max = m?.[2] !== undefined ? Number(m[2]) : min;
    if (!m || min < 1 || max > 65535 || min > max) {
      throw new TypeError(`"${part.trim()}" is not a port (1-65535) or a range such as 80-81`);
    }
    return { min, max };
  });
}

/** Sorted, merged ranges. */
export function normalizeRanges(ranges: PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.min - b.min);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.min <= last.max + 1) last.max = Math.max(last.max, r.max);
    else out.push({ ...r });
  }
  return out;
}

/** The parts of `wanted` not covered by `have`. */
export function missingRanges(wanted: PortRange[], have: PortRange[]): PortRange[] {
  const covered = normalizeRanges(have);
  const out: PortRange[] = [];
  for (const w of normalizeRanges(wanted)) {
    let start = w.min;
    for (const c of covered) {
      if (c.max < start || c.min > w.max) continue;
      if (c.min > start) out.push({ min: start, max: c.min - 1 });
      start = Math.max(start, c.max + 1);
      if (start > w.max) break;
    }
    if (start <= w.max) out.push({ min: start, max: w.max });
  }
  return out;
}

export function formatPorts(ranges: PortRange[]): string {
  return ranges.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(',');
}
