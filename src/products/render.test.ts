import { describe, expect, it } from 'vitest';
import {
  accessVariables,
  licenseVariables,
  RenderError,
  render,
  templateVariables,
} from './render.js';

describe('templateVariables', () => {
  it('lists every {{name}}, spaces inside the braces allowed, in order and with repeats', () => {
    expect(templateVariables('http://{{eip}}:8080/{{ instanceId }}?u={{user}}&e={{eip}}')).toEqual([
      'eip',
      'instanceId',
      'user',
      'eip',
    ]);
  });

  it('ignores what is not a variable', () => {
    expect(templateVariables('plain {single} {{1st}} {{}} {{a-b}} $eip')).toEqual([]);
  });
});

describe('render', () => {
  it('substitutes each variable, numbers included', () => {
    expect(render('http://{{eip}}:{{port}}/ {{ eip }}', { eip: '203.0.113.7', port: 8080 })).toBe(
      'http://203.0.113.7:8080/ 203.0.113.7',
    );
    expect(render('{{n}}', { n: 0 })).toBe('0');
    expect(render('[{{empty}}]', { empty: '' })).toBe('[]');
  });

  it('inserts values verbatim: no second pass, no $-patterns', () => {
    expect(render('{{licensee}}', { licensee: '{{eip}} $& $1 $$', eip: 'x' })).toBe(
      '{{eip}} $& $1 $$',
    );
  });

  it('a variable without a value is an error naming it', () => {
    expect(() => render('http://{{eip}}/{{port}}', { eip: '1.2.3.4' })).toThrow(RenderError);
    expect(() => render('http://{{eip}}/{{port}}', { eip: '1.2.3.4' })).toThrow(
      'unknown variable {{port}}',
    );
  });

  it('renders a license file from a product template', () => {
    const template = '{{license}}\n# for {{licensee}}, expires {{expiresAt}}\n';
    expect(
      render(template, { license: 'KGD1.a.b', licensee: 'Acme', expiresAt: '2027-01-01' }),
    ).toBe('KGD1.a.b\n# for Acme, expires 2027-01-01\n');
  });
});

describe('variable sets', () => {
  it('the license file may use every access variable plus the license ones', () => {
    expect(licenseVariables).toEqual(expect.arrayContaining(accessVariables));
    expect(licenseVariables).toEqual(
      expect.arrayContaining(['license', 'expiresAt', 'licensee', 'publicKey']),
    );
    expect(accessVariables).not.toContain('license');
  });
});
