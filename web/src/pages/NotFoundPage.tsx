import { Link, usePageTitle } from '../router.tsx';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <div className="narrow stack">
      <h1>Page not found</h1>
      <p className="lead">There is no page at this address. If you followed a link from one of our emails, open it again from the email.</p>
      <div className="button-row">
        <Link to="/" className="button button--primary">
          Go to the start page
        </Link>
        <Link to="/help" className="button button--secondary">
          Help with your emails
        </Link>
      </div>
    </div>
  );
}
