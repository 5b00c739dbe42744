import type { ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from './markdown.ts';

/**
 * A legal document's Markdown as React elements (text is never parsed as HTML). `headingLevel`
 * is the level the document's own `#` heading gets on this page.
 */
export function LegalText({ markdown, headingLevel = 3 }: { markdown: string; headingLevel?: number }) {
  return <>{parseMarkdown(markdown).map((block, index) => renderBlock(block, index, headingLevel))}</>;
}

function renderBlock(block: Block, key: number, headingLevel: number): ReactNode {
  switch (block.type) {
    case 'heading': {
      const level = Math.min(6, block.level + headingLevel - 1);
      const Heading = `h${level}` as 'h3';
      return (
        <Heading key={key} className={`legal-doc__h legal-doc__h${block.level}`}>
          {renderInline(block.children)}
        </Heading>
      );
    }
    case 'paragraph':
      return <p key={key}>{renderInline(block.children)}</p>;
    case 'list': {
      const items = block.items.map((item, index) => <li key={index}>{renderInline(item)}</li>);
      return block.ordered ? (
        <ol key={key} start={block.start === 1 ? undefined : block.start}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
  }
}

function renderInline(nodes: Inline[]): ReactNode[] {
  return nodes.map((node, index) => {
    switch (node.type) {
      case 'text':
        return node.text;
      case 'strong':
        return <strong key={index}>{renderInline(node.children)}</strong>;
      case 'em':
        return <em key={index}>{renderInline(node.children)}</em>;
      case 'code':
        return <code key={index}>{node.text}</code>;
      case 'link': {
        const external = /^(https?:|mailto:)/i.test(node.href);
        return (
          <a key={index} href={node.href} {...(external ? { rel: 'noopener noreferrer', target: '_blank' } : {})}>
            {renderInline(node.children)}
            {external ? <span className="visually-hidden"> (opens in a new tab)</span> : null}
          </a>
        );
      }
    }
  });
}
