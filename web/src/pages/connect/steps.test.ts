import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectSteps, displayedStep, stepNumberLabel } from './steps.ts';

describe('connect wizard steps', () => {
  it('lists every step the server knows, in the server\u2019s order', () => {
    assert.deepEqual(
      connectSteps.map((s) => s.id),
      ['link', 'terms', 'entra_app', 'partner_center_app', 'sign_in', 'preflight', 'done'],
    );
  });

  it('reopens only a step already passed, never after the connection is complete', () => {
    assert.equal(displayedStep({ step: 'sign_in' }, 'entra_app'), 'entra_app');
    assert.equal(displayedStep({ step: 'preflight' }, 'partner_center_app'), 'partner_center_app');
    assert.equal(displayedStep({ step: 'entra_app' }, 'partner_center_app'), 'entra_app');
    assert.equal(displayedStep({ step: 'done' }, 'entra_app'), 'done');
    assert.equal(displayedStep({ step: 'terms' }, 'entra_app'), 'terms');
    assert.equal(displayedStep({ step: 'partner_center_app' }, undefined), 'partner_center_app');
  });

  it('numbers the steps one way, as the guide does: Step 3 is 3.1 to 3.5', () => {
    assert.deepEqual(
      connectSteps.map((s) => s.number ?? null),
      [null, '3.1', '3.2', '3.3', '3.4', '3.5', null],
    );
    assert.equal(stepNumberLabel('entra_app'), 'Step 3.2 of 3.5');
    assert.equal(stepNumberLabel('preflight'), 'Step 3.5 of 3.5');
    assert.equal(stepNumberLabel('done'), undefined);
  });
});
