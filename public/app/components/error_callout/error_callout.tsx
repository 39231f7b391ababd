import React from 'react';
import { EuiButton, EuiCallOut, EuiText } from '@elastic/eui';
import { describeError } from '../../lib/errors';

export interface ErrorCalloutProps {
  error: unknown;
  /** What failed, as a verb phrase: "load communities". */
  what: string;
  onRetry?: () => void;
  'data-test-subj'?: string;
}

export function ErrorCallout({ error, what, onRetry, ...rest }: ErrorCalloutProps) {
  const d = describeError(error, what);
  return (
    <EuiCallOut
      title={d.title}
      color="danger"
      iconType="error"
      role="alert"
      data-test-subj={rest['data-test-subj'] ?? 'errorCallout'}
    >
      <EuiText size="s">
        <p data-test-subj="errorMessage">{d.message}</p>
      </EuiText>
      {onRetry ? (
        <EuiButton size="s" color="danger" onClick={onRetry} data-test-subj="errorRetryButton">
          Try again
        </EuiButton>
      ) : null}
    </EuiCallOut>
  );
}
