import { connectSteps, type ConnectStepId } from './steps.ts';

/** The wizard's progress: done steps ticked, the current one highlighted and marked for assistive tech. */
export function StepList({ current }: { current: ConnectStepId }) {
  const currentIndex = connectSteps.findIndex((step) => step.id === current);
  return (
    <div className="step-list">
      <ol aria-label="Connection steps">
        {connectSteps.map((step, index) => {
          const status = index < currentIndex ? 'done' : index === currentIndex ? 'current' : 'upcoming';
          return (
            <li key={step.id} className={`step-list__item step-list__item--${status}`} aria-current={status === 'current' ? 'step' : undefined}>
              <span className="step-list__marker" aria-hidden="true">
                {status === 'done' ? '✓' : index + 1}
              </span>
              <span className="step-list__text">
                <span className="step-list__title">{step.title}</span>
                <span className="visually-hidden">{status === 'done' ? ' (done)' : status === 'current' ? ' (current step)' : ''}</span>
                <span className="step-list__summary">{step.summary}</span>
              </span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
