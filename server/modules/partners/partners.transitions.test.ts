import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { partnerStates } from '../../../contracts/partner-states.ts';
import { allows, initialPartnerState, partnerTransitions, transitionEdges, transitionNames } from './partners.transitions.ts';

// docs/ARCHITECTURE.md draws the lifecycle; the table in partners.transitions.ts is what runs. This
// test reads the diagram and fails when the two say different things.

function diagram(): { initial: string[]; edges: string[] } {
  const doc = readFileSync(new URL('../../../docs/ARCHITECTURE.md', import.meta.url), 'utf8');
  const section = doc.split(/^## Partner lifecycle$/m)[1];
  assert.ok(section, 'docs/ARCHITECTURE.md has a "## Partner lifecycle" section');
  const block = /```mermaid\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the section holds a mermaid state diagram');
  const initial: string[] = [];
  const edges: string[] = [];
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    if (!line || line === 'stateDiagram-v2') continue;
    const start = /^\[\*\]\s*-->\s*(\w+)$/.exec(line);
    if (start) {
      initial.push(start[1]!);
      continue;
    }
    const edge = /^(\w+)\s*-->\s*(\w+)\s*:\s*(\w+)$/.exec(line);
    assert.ok(edge, `diagram line not understood: "${line}"`);
    edges.push(`${edge[1]} -> ${edge[2]} : ${edge[3]}`);
  }
  return { initial, edges };
}

test('the diagram in docs/ARCHITECTURE.md is the transition table', () => {
  const drawn = diagram();
  const table = transitionEdges().map(([from, to, name]) => `${from} -> ${to} : ${name}`);
  assert.deepEqual([...drawn.edges].sort(), [...table].sort());
  assert.deepEqual(drawn.initial, [initialPartnerState]);
});

test('every state is reachable from the start and every state but offboarded can be left', () => {
  const reached = new Set<string>([initialPartnerState]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [from, to] of transitionEdges()) {
      if (reached.has(from) && !reached.has(to)) {
        reached.add(to);
        grew = true;
      }
    }
  }
  assert.deepEqual([...reached].sort(), [...partnerStates].sort());
  for (const state of partnerStates) {
    if (state === 'offboarded') continue;
    assert.ok(transitionNames.some((name) => allows(name, state) && partnerTransitions[name].to !== state), `${state} has a way out`);
  }
});

test('the table names only known states', () => {
  for (const name of transitionNames) {
    const t = partnerTransitions[name];
    assert.ok(partnerStates.includes(t.to), `${name} -> ${t.to}`);
    for (const from of t.from) assert.ok(partnerStates.includes(from), `${name} from ${from}`);
  }
});

test('needs attention is entered from a connected partner and left by the fix, a reconnect link (or suspension, offboarding)', () => {
  assert.ok(allows('markNeedsAttention', 'active'));
  assert.ok(allows('markNeedsAttention', 'syncing'));
  assert.ok(!allows('markNeedsAttention', 'registered'));
  assert.deepEqual(
    transitionNames.filter((name) => allows(name, 'needs_attention')),
    ['markLinkSent', 'clearAttention', 'suspend', 'offboard'],
  );
});
