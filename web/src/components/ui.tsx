import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { absoluteTime, duration, relativeTime } from '../format.js';
import { Link } from '../router.js';

/** A build state with colour AND text (never colour alone). */
export function StateBadge({ state }: { state: string }) {
  return <span class={`state state-${state.replace(/[^a-z]/g, '')}`}>{state}</span>;
}

/** Relative time, with the absolute time visible on hover/focus and to screen readers. */
export function Time({ at, both = false }: { at: number | null | undefined; both?: boolean }) {
  if (at === null || at === undefined) return <span class="muted">—</span>;
  const abs = absoluteTime(at);
  return (
    <time dateTime={new Date(at * 1000).toISOString()} title={abs}>
      {relativeTime(at)}
      {both ? <span class="muted"> ({abs})</span> : null}
    </time>
  );
}

export function Duration({ from, to }: { from: number | null; to: number | null }) {
  if (from === null) return <span class="muted">—</span>;
  const end = to ?? Date.now() / 1000;
  return <span>{duration(end - from)}{to === null ? ' so far' : ''}</span>;
}

export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div class="alert" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {errorText(error)}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice" role="status">
      {children}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

/** Previous/next pagination on top of APIv3 `limit`/`offset`. */
export function Pager({ page, hasNext, hrefFor }: { page: number; hasNext: boolean; hrefFor: (page: number) => string }) {
  if (page === 1 && !hasNext) return null;
  return (
    <nav class="pager" aria-label="Pagination">
      {page > 1 ? <Link href={hrefFor(page - 1)}>← Previous</Link> : <span class="muted">← Previous</span>}
      <span>Page {page}</span>
      {hasNext ? <Link href={hrefFor(page + 1)}>Next →</Link> : <span class="muted">Next →</span>}
    </nav>
  );
}

/** A destructive action that asks once more, in the page (no browser dialog). */
export function ConfirmButton({ label, question, onConfirm, disabled }: { label: string; question: string; onConfirm: () => void | Promise<void>; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        class="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          void onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}

/** A block of text to copy (commands, config snippets). */
export function CopyBlock({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="copy">
      <pre aria-label={label} tabIndex={0}>
        <code>{text}</code>
      </pre>
      <button
        type="button"
        onClick={() => {
          navigator.clipboard?.writeText(text).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function Field({ id, label, hint, children }: { id: string; label: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint ? (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

/** Only http(s) links from user-provided fields become clickable. */
export function SafeLink({ href }: { href: string | null }) {
  if (!href) return <span class="muted">—</span>;
  return /^https?:\/\//i.test(href) ? (
    <a href={href} rel="noopener noreferrer nofollow">
      {href}
    </a>
  ) : (
    <span>{href}</span>
  );
}
