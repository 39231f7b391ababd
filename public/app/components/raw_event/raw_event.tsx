import React from 'react';
import { EuiCodeBlock } from '@elastic/eui';

/** The stored document as JSON text; EuiCodeBlock renders it as text, never as markup. */
export function RawEvent({
  event,
  'data-test-subj': subj,
}: {
  event: unknown;
  'data-test-subj'?: string;
}) {
  return (
    <EuiCodeBlock
      language="json"
      fontSize="s"
      paddingSize="s"
      overflowHeight={360}
      isCopyable
      data-test-subj={subj ?? 'rawEventJson'}
    >
      {JSON.stringify(event, null, 2)}
    </EuiCodeBlock>
  );
}
