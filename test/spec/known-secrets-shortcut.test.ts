import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findKnownSecrets, scanKnownSecrets } from '../../src/spec/secrets.js';

// Pieces of every known format, whole and cut short, mixed with ordinary text: the shortcut (no trigger literal, no
// scan) must give exactly the full scan's spans.
const PIECES = [
  '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
  '-----BEGIN',
  'AKIAIOSFODNN7EXAMPLE',
  'ASIA',
  'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB',
  'github_pat_0123456789abcdefghijklmn',
  'glpat-0123456789abcdefghij',
  'xoxb-0123456789-abc',
  'https://hooks.slack.com/services/T000/B000/XXXX',
  'AIzaSyA-0123456789abcdefghijklmnopqrstu',
  'sk_live_0123456789abcdef',
  'npm_0123456789abcdefghijklmnopqrstuvwxyz',
  'eyJhbGciOiJI.eyJzdWIiOiIx.SflKxwRJSMeKKF2Q',
  'postgres://user:hunter2@db/app',
  'Server=x;Password=Hunter2;Database=y',
  'PWD=abc;',
  'password',
  '://',
  '@',
  ';',
  '=',
  ' ',
  '\n',
  'python -m etl.extract --date {{ ds }}',
  'warehouse://orders.extract',
];

describe('findKnownSecrets shortcut', () => {
  it('finds what the full scan finds, on any mix of format pieces and text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 12 })), { maxLength: 8 }),
        (parts) => {
          const text = parts.join('');
          expect(findKnownSecrets(text)).toEqual(scanKnownSecrets(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('still finds every known format', () => {
    for (const piece of PIECES.slice(0, 15))
      if (piece.length > 12) expect(findKnownSecrets(piece).length, piece).toBeGreaterThan(0);
  });
});
