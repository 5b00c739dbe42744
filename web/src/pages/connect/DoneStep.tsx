import { Notice } from '../../components/Notice.tsx';
import { Link } from '../../router.tsx';
import { StepHeading } from './wizard.tsx';

// The end of Step 3: the credentials are stored, the signup link is spent and the customer import
// has started.

export function DoneStep() {
  return (
    <>
      <StepHeading step="done">Your Microsoft tenant is connected</StepHeading>
      <Notice tone="success" title="Everything is in place" live={false}>
        <p>TotalOne can now work with your Partner Center and your Entra ID tenant. Your signup link has done its job and no longer works.</p>
      </Notice>
      <h3>What happens next</h3>
      <ol className="steps-list">
        <li>
          <strong>We import your customers</strong> from Partner Center. This has already started; with many customers it can take a while.
        </li>
        <li>
          <strong>A confirmation email follows</strong> to your primary contact once the import is complete and your TotalOne account is ready to use.
        </li>
        <li>
          <strong>Keep the secrets safe.</strong> Before the Web App Secret expires, we remind your primary contact to renew it.
        </li>
      </ol>
      <div className="button-row">
        <Link to="/status" className="button button--primary">
          See the connection status
        </Link>
      </div>
    </>
  );
}
