/** True when dist/ and web/dist hold a build of the sources as they are now. */
export function buildIsCurrent(): boolean;
/** A fingerprint of what the build reads. */
export function sourceFingerprint(): string;
/** Builds the web app and the server, then writes the stamp. */
export function buildAll(): Promise<void>;
