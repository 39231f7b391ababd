import React from 'react';
import { EuiCodeBlock } from '@elastic/eui';
import { jsonForDisplay } from '../../../../common/display_text';
import { DecodedCommand } from '../decoded_command/decoded_command';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};

/** The ECS process fields of a stored event, read defensively (it is shown whatever its shape). */
function processOf(event: unknown) {
  const proc = obj(obj(event).process);
  const parent = obj(proc.parent);
  return {
    commandLine: str(proc.command_line),
    name: str(proc.name),
    parentCommandLine: str(parent.command_line),
    parentName: str(parent.name),
  };
}

/**
 * The stored document as JSON text; EuiCodeBlock renders it as text, never as markup, and bidi
 * and invisible characters are JSON escapes (still valid JSON, the exact value when copied).
 */
export function RawEvent({
  event,
  'data-test-subj': subj,
}: {
  event: unknown;
  'data-test-subj'?: string;
}) {
  const p = processOf(event);
  return (
    <>
      <EuiCodeBlock
        language="json"
        fontSize="s"
        paddingSize="s"
        overflowHeight={360}
        isCopyable
        data-test-subj={subj ?? 'rawEventJson'}
      >
        {jsonForDisplay(event)}
      </EuiCodeBlock>
      {/* Beside the raw document: what its encoded command lines say. */}
      <DecodedCommand
        commandLine={p.commandLine}
        processName={p.name}
        data-test-subj="rawEventDecodedCommand"
      />
      <DecodedCommand
        commandLine={p.parentCommandLine}
        processName={p.parentName}
        what="parent command line"
        data-test-subj="rawEventDecodedParentCommand"
      />
    </>
  );
}
