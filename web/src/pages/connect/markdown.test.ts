import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseInline, parseMarkdown } from './markdown.ts';

describe('parseMarkdown (legal documents)', () => {
  it('reads headings, wrapped paragraphs and wrapped list items', () => {
    const blocks = parseMarkdown('# Title\n\nVersion 1.0\n\n## 1. Who\nFirst line\nsecond line.\n- one\n  wrapped\n- two\n\n1. first\n2. second\n');
    assert.deepEqual(blocks, [
      { type: 'heading', level: 1, children: [{ type: 'text', text: 'Title' }] },
      { type: 'paragraph', children: [{ type: 'text', text: 'Version 1.0' }] },
      { type: 'heading', level: 2, children: [{ type: 'text', text: '1. Who' }] },
      { type: 'paragraph', children: [{ type: 'text', text: 'First line second line.' }] },
      { type: 'list', ordered: false, start: 1, items: [[{ type: 'text', text: 'one wrapped' }], [{ type: 'text', text: 'two' }]] },
      { type: 'list', ordered: true, start: 1, items: [[{ type: 'text', text: 'first' }], [{ type: 'text', text: 'second' }]] },
    ]);
  });

  it('keeps markup as text: nothing becomes HTML', () => {
    const [block] = parseMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)>');
    assert.deepEqual(block, { type: 'paragraph', children: [{ type: 'text', text: '<script>alert(1)</script> <img src=x onerror=alert(1)>' }] });
  });

  it('reads bold, emphasis, code and safe links; unsafe links stay text', () => {
    assert.deepEqual(parseInline('a **b** *c* `d` [e](https://x.example) [f](javascript:alert(1))'), [
      { type: 'text', text: 'a ' },
      { type: 'strong', children: [{ type: 'text', text: 'b' }] },
      { type: 'text', text: ' ' },
      { type: 'em', children: [{ type: 'text', text: 'c' }] },
      { type: 'text', text: ' ' },
      { type: 'code', text: 'd' },
      { type: 'text', text: ' ' },
      { type: 'link', href: 'https://x.example', children: [{ type: 'text', text: 'e' }] },
      { type: 'text', text: ' [f](javascript:alert(1))' },
    ]);
    assert.deepEqual(parseInline('snake_case_name and 2 * 3 * 4'), [{ type: 'text', text: 'snake_case_name and 2 * 3 * 4' }]);
  });

  it('reads the repository\u2019s legal documents into headings, paragraphs and lists only', () => {
    for (const file of ['legal/terms-of-use/1.0.md', 'legal/privacy-policy/1.0.md']) {
      const blocks = parseMarkdown(readFileSync(join(process.cwd(), file), 'utf8'));
      assert.equal(blocks[0]?.type, 'heading');
      assert.ok(blocks.some((b) => b.type === 'list'));
      const text = JSON.stringify(blocks);
      assert.ok(!text.includes('"- '), `${file}: a list marker left in the text`);
    }
  });
});
