/** An environment's history: its changes and the phases each went through, from Git and its status. */
export {
  environmentHistory,
  type CurrentStatus,
  type HistoryChange,
  type HistoryCommit,
  type PhaseSpan,
} from './history.js';
export { commitKind, committedSteps, stepsCommitMessage, type CommitKind } from './messages.js';
