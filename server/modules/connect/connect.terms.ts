import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The Terms of Use and Privacy Policy live in the repository (legal/<document>/<version>.md). The
// newest version of each is the one a partner accepts; its SHA-256 is recorded with the acceptance,
// so we can always prove which exact text was accepted.

export const legalDocuments = ['terms_of_use', 'privacy_policy'] as const;
export type LegalDocument = (typeof legalDocuments)[number];

export interface LegalText {
  document: LegalDocument;
  title: string;
  version: string;
  sha256: string;
  content: string;
}

const folders: Record<LegalDocument, string> = { terms_of_use: 'terms-of-use', privacy_policy: 'privacy-policy' };

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function loadLegalTexts(root = join(process.cwd(), 'legal')): LegalText[] {
  return legalDocuments.map((document) => {
    const dir = join(root, folders[document]);
    const versions = readdirSync(dir)
      .filter((name) => /^\d+(\.\d+)*\.md$/.test(name))
      .map((name) => name.replace(/\.md$/, ''))
      .sort(compareVersions);
    const version = versions.at(-1);
    if (!version) throw new Error(`No version of ${document} in ${dir}`);
    const content = readFileSync(join(dir, `${version}.md`), 'utf8');
    const title = /^#\s+(.+)$/m.exec(content)?.[1]?.trim() ?? document;
    return { document, title, version, sha256: createHash('sha256').update(content).digest('hex'), content };
  });
}
