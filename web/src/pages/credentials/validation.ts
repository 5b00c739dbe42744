import { zodResolver } from '@hookform/resolvers/zod';
import { credentialUpdateSchema } from '../../../../contracts/credentials.ts';

// The update form's checks on the contracts' schema, loaded when the form is first used.
export const credentialUpdateResolver = zodResolver(credentialUpdateSchema);
