import type { FieldValues, Resolver } from 'react-hook-form';

/**
 * A form resolver whose checks (the contracts' zod schemas, the phone metadata) load the first time
 * the form is used, not with the page: `preload` on the form's first focus, or the first check.
 * A failed load (network) is tried again on the next check.
 */
export function lazyResolver<Input extends FieldValues, Output>(load: () => Promise<Resolver<Input, unknown, Output>>) {
  let loading: Promise<Resolver<Input, unknown, Output>> | undefined;
  const ready = () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  const resolver: Resolver<Input, unknown, Output> = async (values, context, options) => (await ready())(values, context, options);
  return {
    resolver,
    preload: () => {
      ready().catch(() => {});
    },
  };
}
