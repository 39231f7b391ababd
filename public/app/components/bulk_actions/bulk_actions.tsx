import React, { useState } from 'react';
import {
  EuiButton,
  EuiButtonEmpty,
  EuiCheckbox,
  EuiContextMenuItem,
  EuiContextMenuPanel,
  EuiFieldText,
  EuiFormRow,
  EuiModal,
  EuiModalBody,
  EuiModalFooter,
  EuiModalHeader,
  EuiModalHeaderTitle,
  EuiPopover,
  EuiText,
  useGeneratedHtmlId,
} from '@elastic/eui';
import type { CommunitySummary, TriageRequest } from '../../api_types';
import { useToasts } from '../../hooks/use_toasts';
import { describeError } from '../../lib/errors';
import { useAppServices } from '../../services';
import { ICONS } from '../../lib/icons';

export interface BulkActionsProps {
  selected: CommunitySummary[];
  /** Called after any bulk change, successful or partly failed. */
  onDone(): void;
}

type ModalKind = 'assign' | 'benign' | null;

export function BulkActions({ selected, onDone }: BulkActionsProps) {
  const { api } = useAppServices();
  const toasts = useToasts();
  const [open, setOpen] = useState(false);
  const [modal, setModal] = useState<ModalKind>(null);
  const [busy, setBusy] = useState(false);
  const [assignee, setAssignee] = useState('');
  const [suppress, setSuppress] = useState(false);
  const popoverId = useGeneratedHtmlId({ prefix: 'bulkActions' });
  const modalTitleId = useGeneratedHtmlId({ prefix: 'bulkModalTitle' });
  const suppressId = useGeneratedHtmlId({ prefix: 'bulkSuppress' });
  const n = selected.length;
  const noun = `${n} ${n === 1 ? 'community' : 'communities'}`;

  const apply = async (change: TriageRequest, what: string) => {
    setBusy(true);
    setOpen(false);
    try {
      const res = await api.bulkTriage(
        selected.map((s) => s.id),
        change,
      );
      if (res.failed.length === 0) {
        toasts.addSuccess(`${what}: ${res.updated.length} updated`);
      } else {
        toasts.addWarning(
          `${what}: ${res.updated.length} updated, ${res.failed.length} failed`,
          res.failed
            .slice(0, 3)
            .map((f) => `${f.id}: ${f.message}`)
            .join('; '),
        );
      }
    } catch (e) {
      const d = describeError(e, what.toLowerCase());
      toasts.addDanger(d.title, d.message);
    } finally {
      setBusy(false);
      setModal(null);
      onDone();
    }
  };

  const items = [
    <EuiContextMenuItem
      key="ack"
      icon="eye"
      onClick={() => void apply({ status: 'acknowledged' }, 'Acknowledge')}
      data-test-subj="bulkAcknowledge"
    >
      Acknowledge
    </EuiContextMenuItem>,
    <EuiContextMenuItem
      key="close"
      icon={ICONS.checkCircleFill}
      onClick={() => void apply({ status: 'closed' }, 'Close')}
      data-test-subj="bulkClose"
    >
      Close
    </EuiContextMenuItem>,
    <EuiContextMenuItem
      key="reopen"
      icon="refresh"
      onClick={() => void apply({ status: 'open' }, 'Reopen')}
      data-test-subj="bulkReopen"
    >
      Reopen
    </EuiContextMenuItem>,
    <EuiContextMenuItem
      key="assign"
      icon="user"
      onClick={() => {
        setOpen(false);
        setAssignee('');
        setModal('assign');
      }}
      data-test-subj="bulkAssign"
    >
      Assign…
    </EuiContextMenuItem>,
    <EuiContextMenuItem
      key="benign"
      icon="check"
      onClick={() => {
        setOpen(false);
        setSuppress(false);
        setModal('benign');
      }}
      data-test-subj="bulkVerdictBenign"
    >
      Mark benign…
    </EuiContextMenuItem>,
    <EuiContextMenuItem
      key="malicious"
      icon="bug"
      onClick={() => void apply({ verdict: 'malicious' }, 'Mark malicious')}
      data-test-subj="bulkVerdictMalicious"
    >
      Mark malicious
    </EuiContextMenuItem>,
  ];

  return (
    <>
      <EuiPopover
        id={popoverId}
        isOpen={open}
        closePopover={() => setOpen(false)}
        panelPaddingSize="none"
        anchorPosition="downLeft"
        button={
          <EuiButton
            size="s"
            iconType={ICONS.chevronDown}
            iconSide="right"
            isDisabled={n === 0}
            isLoading={busy}
            onClick={() => setOpen((o) => !o)}
            data-test-subj="bulkActionsButton"
          >
            {n === 0 ? 'Bulk actions' : `Bulk actions (${n})`}
          </EuiButton>
        }
      >
        <EuiContextMenuPanel items={items} data-test-subj="bulkActionsMenu" />
      </EuiPopover>
      {modal ? (
        <EuiModal
          onClose={() => setModal(null)}
          aria-labelledby={modalTitleId}
          data-test-subj="bulkModal"
        >
          <EuiModalHeader>
            <EuiModalHeaderTitle id={modalTitleId}>
              {modal === 'assign' ? `Assign ${noun}` : `Mark ${noun} benign`}
            </EuiModalHeaderTitle>
          </EuiModalHeader>
          <EuiModalBody>
            {modal === 'assign' ? (
              <EuiFormRow label="Assignee" helpText="Leave empty to unassign.">
                <EuiFieldText
                  value={assignee}
                  maxLength={256}
                  onChange={(e) => setAssignee(e.target.value)}
                  data-test-subj="bulkAssigneeInput"
                />
              </EuiFormRow>
            ) : (
              <>
                <EuiText size="s">
                  <p>
                    The verdict is recorded on each selected community; status, assignee and notes
                    are left as they are.
                  </p>
                </EuiText>
                <EuiFormRow
                  fullWidth
                  helpText="Writes rules for the steps that made each community stand out; undo them under Suppressions."
                >
                  <EuiCheckbox
                    id={suppressId}
                    label="Suppress these patterns in future detection runs"
                    checked={suppress}
                    onChange={(e) => setSuppress(e.target.checked)}
                    data-test-subj="bulkSuppressCheckbox"
                  />
                </EuiFormRow>
              </>
            )}
          </EuiModalBody>
          <EuiModalFooter>
            <EuiButtonEmpty onClick={() => setModal(null)} data-test-subj="bulkModalCancel">
              Cancel
            </EuiButtonEmpty>
            <EuiButton
              fill
              isLoading={busy}
              onClick={() =>
                modal === 'assign'
                  ? void apply(
                      { assignee: assignee.trim() === '' ? null : assignee.trim() },
                      'Assign',
                    )
                  : void apply(
                      {
                        verdict: 'benign',
                        ...(suppress ? { suppress: true } : {}),
                      },
                      'Mark benign',
                    )
              }
              data-test-subj="bulkModalConfirm"
            >
              {modal === 'assign' ? 'Assign' : 'Mark benign'}
            </EuiButton>
          </EuiModalFooter>
        </EuiModal>
      ) : null}
    </>
  );
}
