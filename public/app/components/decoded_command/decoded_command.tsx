import React, { useMemo } from 'react';
import { EuiBadge, EuiCodeBlock, EuiPanel, EuiSpacer, EuiText, EuiTitle } from '@elastic/eui';
import {
  decodeCommandLine,
  visibleText,
  type DecodedPart,
} from '../../../../common/decode_command';

export interface DecodedCommandProps {
  commandLine?: string | null;
  /** The process the command line started, e.g. "powershell.exe". */
  processName?: string;
  /** What the command line is, for the heading ("command line", "parent command line"). */
  what?: string;
  'data-test-subj'?: string;
}

const ENCODING: Record<DecodedPart['encoding'], string> = {
  'utf-16le': 'UTF-16LE',
  'utf-8': 'UTF-8',
  gzip: 'gzip',
};

/**
 * What an encoded PowerShell command line runs, decoded for reading (never run): each
 * -EncodedCommand payload and the base64 strings inside it, nested as found. Renders nothing
 * when there is nothing to decode. Text goes through React as text, with control and bidi
 * characters shown as escapes.
 */
export function DecodedCommand({
  commandLine,
  processName,
  what = 'command line',
  'data-test-subj': subj = 'decodedCommand',
}: DecodedCommandProps) {
  const parts = useMemo(
    () => decodeCommandLine(commandLine, processName),
    [commandLine, processName],
  );
  if (parts.length === 0) return null;
  return (
    <EuiPanel color="subdued" paddingSize="s" hasBorder={false} data-test-subj={subj}>
      <EuiTitle size="xxs">
        <h4>Decoded {what}</h4>
      </EuiTitle>
      <EuiText size="xs" color="subdued">
        <p>Decoded for reading only; hidden characters are shown as {'\\u{…}'} escapes.</p>
      </EuiText>
      <EuiSpacer size="xs" />
      {parts.map((p, i) => (
        <Part key={i} part={p} />
      ))}
    </EuiPanel>
  );
}

function Part({ part }: { part: DecodedPart }) {
  const label =
    part.kind === 'encodedCommand'
      ? `${visibleText(part.flag ?? '-EncodedCommand')} payload`
      : 'base64 string inside';
  return (
    <div
      style={{ marginLeft: (part.depth - 1) * 12 }}
      data-test-subj="decodedCommandPart"
      data-depth={part.depth}
      data-kind={part.kind}
    >
      <EuiText size="xs">
        <p>
          <EuiBadge color="hollow" data-test-subj="decodedCommandFlag">
            {label}
          </EuiBadge>{' '}
          {ENCODING[part.encoding]}
          {part.truncated ? ' · cut at the length limit' : ''}
        </p>
      </EuiText>
      <EuiCodeBlock
        language="text"
        fontSize="s"
        paddingSize="s"
        isCopyable
        overflowHeight={240}
        whiteSpace="pre-wrap"
        style={{ wordBreak: 'break-all' }}
        data-test-subj="decodedCommandText"
      >
        {visibleText(part.text)}
      </EuiCodeBlock>
      <EuiSpacer size="xs" />
      {part.children.map((c, i) => (
        <Part key={i} part={c} />
      ))}
    </div>
  );
}
