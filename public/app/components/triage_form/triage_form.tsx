import React, { useEffect, useMemo, useState } from 'react';
import {
  EuiButton,
  EuiButtonEmpty,
  EuiCallOut,
  EuiCheckbox,
  EuiDescriptionList,
  EuiFieldText,
  EuiFlexGroup,
  EuiFlexItem,
  EuiForm,
  EuiFormRow,
  EuiRadioGroup,
  EuiSelect,
  EuiSpacer,
  EuiText,
  EuiTextArea,
  EuiTitle,
  useGeneratedHtmlId,
} from '@elastic/eui';
import { errorStatus } from '../../api_client';
import type {
  StoredCommunity,
  TriageChange,
  TriageRequest,
  TriageStatus,
  Verdict,
} from '../../api_types';
import { useToasts } from '../../hooks/use_toasts';
import { describeError } from '../../lib/errors';
import { visibleName } from '../../../../common/display_text';
import { formatDateTime } from '../../lib/format';
import { useAppServices } from '../../services';
import { STATUS_LABEL, VERDICT_LABEL } from '../status_badge/status_badge';

export const CONFLICT_MESSAGE = 'Someone else changed this community; reload to see their change';

interface Draft {
  status: TriageStatus;
  assignee: string;
  note: string;
  verdict: '' | Verdict;
  suppress: boolean;
}

function draftOf(c: StoredCommunity): Draft {
  return {
    status: c.triage.status,
    assignee: c.triage.assignee ?? '',
    note: c.triage.note,
    verdict: c.triage.verdict ?? '',
    suppress: false,
  };
}

/** Only what changed goes to the server, so an untouched field never overwrites someone's edit. */
export function triageChange(c: StoredCommunity, d: Draft): TriageRequest {
  const change: TriageRequest = {};
  if (d.status !== c.triage.status) change.status = d.status;
  const assignee = d.assignee.trim() === '' ? null : d.assignee.trim();
  if (assignee !== c.triage.assignee) change.assignee = assignee;
  if (d.note !== c.triage.note) change.note = d.note;
  const verdict = d.verdict === '' ? null : d.verdict;
  if (verdict !== c.triage.verdict) change.verdict = verdict;
  // The server accepts `suppress` only next to verdict "benign", even when that is unchanged.
  if (d.suppress && verdict === 'benign') {
    change.verdict = 'benign';
    change.suppress = true;
  }
  return change;
}

/** The steps a benign verdict would suppress (same rule as the server's rulesFromCommunityVerdict). */
function suppressedSteps(c: StoredCommunity): string[] {
  const driving = c.edges.filter((e) => e.score * e.prevalence.rarity >= 0.1);
  const edges = driving.length > 0 ? driving : c.edges;
  return [
    ...new Set(edges.map((e) => `${visibleName(e.parentName)} → ${visibleName(e.childName)}`)),
  ];
}

export interface TriageFormProps {
  community: StoredCommunity;
  onSaved(community: StoredCommunity): void;
  /** Re-reads the community after a 409. */
  onReload(): void;
}

export function TriageForm({ community, onSaved, onReload }: TriageFormProps) {
  const { api, capabilities } = useAppServices();
  const toasts = useToasts();
  const [draft, setDraft] = useState<Draft>(() => draftOf(community));
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const ids = {
    status: useGeneratedHtmlId({ prefix: 'triageStatus' }),
    verdict: useGeneratedHtmlId({ prefix: 'triageVerdict' }),
    suppress: useGeneratedHtmlId({ prefix: 'triageSuppress' }),
  };

  // A new version (ours or someone else's) is the new baseline; keyed on id and version so a
  // re-render with the same community keeps what the analyst is typing.
  useEffect(() => {
    setDraft(draftOf(community));
  }, [community.id, community.version]);

  const change = useMemo(() => triageChange(community, draft), [community, draft]);
  const dirty = Object.keys(change).length > 0;
  const steps = useMemo(() => suppressedSteps(community), [community]);

  if (!capabilities.canTriage) {
    return (
      <div data-test-subj="triageReadOnly">
        <EuiCallOut size="s" iconType="lock" title="Read-only">
          <p>Changing triage needs the ProblemChild &quot;all&quot; privilege.</p>
        </EuiCallOut>
        <EuiSpacer size="m" />
        <EuiDescriptionList
          compressed
          type="column"
          listItems={[
            { title: 'Status', description: STATUS_LABEL[community.triage.status] },
            { title: 'Assignee', description: community.triage.assignee ?? '—' },
            {
              title: 'Verdict',
              description: community.triage.verdict ? VERDICT_LABEL[community.triage.verdict] : '—',
            },
            { title: 'Note', description: community.triage.note || '—' },
          ]}
        />
        <TriageHistory history={community.triage.history} />
      </div>
    );
  }

  const save = async () => {
    setSaving(true);
    setError(undefined);
    setConflict(false);
    try {
      const res = await api.triage(community.id, change, community.version);
      onSaved(res.community);
      toasts.addSuccess(
        'Triage saved',
        res.suppressionsAdded.length > 0
          ? `${res.suppressionsAdded.length} suppression rule${res.suppressionsAdded.length === 1 ? '' : 's'} added; undo under Suppressions.`
          : undefined,
      );
    } catch (e) {
      if (errorStatus(e) === 409) {
        setConflict(true);
        onReload();
      } else {
        setError(e);
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <div data-test-subj="triageForm">
      {conflict ? (
        <>
          <EuiCallOut
            color="warning"
            iconType="warning"
            title={CONFLICT_MESSAGE}
            role="alert"
            data-test-subj="triageConflict"
          >
            <p>The form now shows their version. Make your change again if it still applies.</p>
            <EuiButton
              size="s"
              color="warning"
              onClick={onReload}
              data-test-subj="triageReloadButton"
            >
              Reload
            </EuiButton>
          </EuiCallOut>
          <EuiSpacer size="m" />
        </>
      ) : null}
      {error ? (
        <>
          <EuiCallOut
            color="danger"
            iconType="error"
            role="alert"
            title={describeError(error, 'save the triage').title}
            data-test-subj="triageError"
          >
            <p>{describeError(error, 'save the triage').message}</p>
          </EuiCallOut>
          <EuiSpacer size="m" />
        </>
      ) : null}
      <EuiForm
        component="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (dirty && !saving) void save();
        }}
      >
        <EuiFlexGroup gutterSize="m">
          <EuiFlexItem>
            <EuiFormRow label="Status" id={ids.status}>
              <EuiSelect
                id={ids.status}
                value={draft.status}
                options={(['open', 'acknowledged', 'closed'] as const).map((s) => ({
                  value: s,
                  text: STATUS_LABEL[s],
                }))}
                onChange={(e) =>
                  setDraft((d) => ({ ...d, status: e.target.value as TriageStatus }))
                }
                data-test-subj="triageStatusSelect"
              />
            </EuiFormRow>
          </EuiFlexItem>
          <EuiFlexItem>
            <EuiFormRow label="Assignee" helpText="Leave empty to unassign.">
              <EuiFieldText
                value={draft.assignee}
                maxLength={256}
                onChange={(e) => setDraft((d) => ({ ...d, assignee: e.target.value }))}
                data-test-subj="triageAssigneeInput"
              />
            </EuiFormRow>
          </EuiFlexItem>
        </EuiFlexGroup>
        <EuiFormRow label="Verdict" id={ids.verdict} fullWidth>
          <EuiRadioGroup
            name={ids.verdict}
            idSelected={`${ids.verdict}-${draft.verdict || 'none'}`}
            options={[
              {
                id: `${ids.verdict}-none`,
                label: 'Undecided',
                'data-test-subj': 'triageVerdict-none',
              },
              {
                id: `${ids.verdict}-benign`,
                label: 'Benign',
                'data-test-subj': 'triageVerdict-benign',
              },
              {
                id: `${ids.verdict}-malicious`,
                label: 'Malicious',
                'data-test-subj': 'triageVerdict-malicious',
              },
            ]}
            onChange={(id) => {
              const v = id.slice(ids.verdict.length + 1);
              setDraft((d) => ({
                ...d,
                verdict: v === 'none' ? '' : (v as Verdict),
                suppress: v === 'benign' ? d.suppress : false,
              }));
            }}
            data-test-subj="triageVerdictGroup"
          />
        </EuiFormRow>
        {draft.verdict === 'benign' ? (
          <EuiFormRow
            fullWidth
            helpText={`Writes a rule per step that made it stand out (${steps.slice(0, 4).join(', ')}${
              steps.length > 4 ? ', …' : ''
            }), matching the same command-line shape. Undo from Suppressions.`}
          >
            <EuiCheckbox
              id={ids.suppress}
              label="Suppress this pattern in future detection runs"
              checked={draft.suppress}
              onChange={(e) => setDraft((d) => ({ ...d, suppress: e.target.checked }))}
              data-test-subj="triageSuppressCheckbox"
            />
          </EuiFormRow>
        ) : null}
        <EuiFormRow label="Note" fullWidth>
          <EuiTextArea
            fullWidth
            rows={3}
            maxLength={10_000}
            value={draft.note}
            onChange={(e) => setDraft((d) => ({ ...d, note: e.target.value }))}
            data-test-subj="triageNoteInput"
          />
        </EuiFormRow>
        <EuiSpacer size="m" />
        <EuiFlexGroup gutterSize="s" justifyContent="flexEnd" responsive={false}>
          <EuiFlexItem grow={false}>
            <EuiButtonEmpty
              onClick={() => setDraft(draftOf(community))}
              isDisabled={!dirty || saving}
              data-test-subj="triageResetButton"
            >
              Discard changes
            </EuiButtonEmpty>
          </EuiFlexItem>
          <EuiFlexItem grow={false}>
            <EuiButton
              fill
              type="submit"
              isLoading={saving}
              isDisabled={!dirty}
              data-test-subj="triageSaveButton"
            >
              Save triage
            </EuiButton>
          </EuiFlexItem>
        </EuiFlexGroup>
      </EuiForm>
      <TriageHistory history={community.triage.history} />
    </div>
  );
}

function describeChange(c: TriageChange): string {
  const show = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));
  return Object.entries(c.changes)
    .map(([field, ft]) =>
      field === 'note' ? 'note edited' : `${field} ${show(ft?.from)} → ${show(ft?.to)}`,
    )
    .join('; ');
}

function TriageHistory({ history }: { history: readonly TriageChange[] }) {
  if (history.length === 0) return null;
  return (
    <>
      <EuiSpacer size="l" />
      <EuiTitle size="xxs">
        <h4>History</h4>
      </EuiTitle>
      <EuiSpacer size="s" />
      <EuiText size="s" data-test-subj="triageHistory">
        <ul>
          {[...history].reverse().map((h, i) => (
            <li key={`${h.at}-${i}`}>
              {formatDateTime(h.at)} · {h.by}: {describeChange(h) || 'no change'}
            </li>
          ))}
        </ul>
      </EuiText>
    </>
  );
}
