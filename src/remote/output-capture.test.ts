import { describe, expect, it } from 'vitest';
import { createOutputCapture } from './output-capture.js';
import { maxCapturedOutput, type OutputLine } from './remote-host.js';

describe('output capture', () => {
  it('delivers whole lines, keeping UTF-8 characters split across chunks intact', () => {
    const lines: OutputLine[] = [];
    const capture = createOutputCapture('stderr', (l) => lines.push(l));
    const bytes = Buffer.from('ünï\ncödé ✓\ntail');
    for (let i = 0; i < bytes.length; i++) capture.push(bytes.subarray(i, i + 1));
    expect(capture.end()).toBe('ünï\ncödé ✓\ntail');
    expect(lines).toEqual([
      { stream: 'stderr', text: 'ünï' },
      { stream: 'stderr', text: 'cödé ✓' },
      { stream: 'stderr', text: 'tail' },
    ]);
  });

  it('cuts an endless line into pieces and keeps only the end of a huge output', () => {
    const lines: string[] = [];
    const capture = createOutputCapture('stdout', (l) => lines.push(l.text));
    capture.push(Buffer.alloc(maxCapturedOutput, 'a'));
    capture.push(Buffer.from('END'));
    const text = capture.end();
    expect(text.length).toBe(maxCapturedOutput);
    expect(text.endsWith('aEND')).toBe(true);
    expect(lines.join('')).toBe(`${'a'.repeat(maxCapturedOutput)}END`);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(16 * 1024);
  });
});
