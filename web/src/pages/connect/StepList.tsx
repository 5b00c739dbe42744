import { connectSteps, type ConnectStepId } from './steps.ts';

/**
 * The wizard's progress: steps passed ticked, the one on screen highlighted and marked for
 * assistive tech. `reached` is where the partner stands on the server; `current` is the step on
 * screen (an earlier one while the partner changes it).
 */
export function StepList({ current, reached }: { current: ConnectStepId; reached: ConnectStepId }) {
  const reachedIndex = connectSteps.findIndex((step) => step.id === reached);
  return (
    <div className="step-list">
      <ol aria-label="Connection steps">
        {connectSteps.map((step, index) => {
          const isCurrent = step.id === current;
          const done = reached === 'done' || index < reachedIndex;
          const status = isCurrent ? 'current' : done ? 'done' : 'upcoming';
          return (
            <li key={step.id} className={`step-list__item step-list__item--${status}`} aria-current={isCurrent ? 'step' : undefined}>
              <span className="step-list__marker" aria-hidden="true">
                {done ? '✓' : (step.number ?? '•')}
              </span>
              <span className="step-list__text">
                <span className="step-list__title">
                  {step.number ? <span className="visually-hidden">Step {step.number}: </span> : null}
                  {step.title}
                </span>
                <span className="visually-hidden">{isCurrent ? (done && step.id !== 'done' ? ' (done, being changed)' : ' (current step)') : done ? ' (done)' : ''}</span>
                <span className="step-list__summary">{step.summary}</span>
              </span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
