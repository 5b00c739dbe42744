import { zodResolver } from '@hookform/resolvers/zod';
import { entraAppSchema, partnerCenterAppSchema } from '../../../../contracts/connect.ts';

// The connect wizard's checks on the contracts' schemas, loaded when a form is first used
// (components/lazyResolver.ts), so zod is not part of the wizard's first visit.
export const entraAppResolver = zodResolver(entraAppSchema);
export const partnerCenterAppResolver = zodResolver(partnerCenterAppSchema);
