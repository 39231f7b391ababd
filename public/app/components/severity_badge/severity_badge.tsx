import React from 'react';
import { EuiBadge, EuiScreenReaderOnly, useEuiTheme } from '@elastic/eui';
import { formatScore, scoreToSeverity, severityLabel } from '../../../../common/severity';

export interface SeverityBadgeProps {
  score: number | null | undefined;
  /** Says what the number is, e.g. "Max score" or "Model score". */
  label?: string;
  'data-test-subj'?: string;
}

/** A score coloured by its EUI severity level; the level is also spelled out for screen readers. */
export function SeverityBadge({ score, label = 'Score', ...rest }: SeverityBadgeProps) {
  const { euiTheme } = useEuiTheme();
  const level = scoreToSeverity(score);
  const name = severityLabel(level);
  return (
    <EuiBadge
      color={euiTheme.colors.severity[level]}
      title={`${label} ${formatScore(score)}: ${name}`}
      data-test-subj={rest['data-test-subj'] ?? 'severityBadge'}
      data-severity={level}
    >
      {formatScore(score)}
      <EuiScreenReaderOnly>
        <span> ({name})</span>
      </EuiScreenReaderOnly>
    </EuiBadge>
  );
}
