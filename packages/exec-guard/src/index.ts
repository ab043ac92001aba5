export {
  LABEL_PREFIX,
  INTERACTION_TIMESTAMP_LABEL,
  INTERACTOR_LABEL,
  TTL_LABEL,
  isValidLabelValue,
  labelSafeUsername,
} from './labels.js';
