export { ORIGIN_LABEL, type DeliveryLimits, type Destination, type DestinationOrigin, type ResolvedDestination } from './types.js';
export { DESTINATION_STATES, destinationState, type DestinationFacts, type DestinationState, type DestinationStateView, type Pause } from './state.js';
export { destinationStatuses, type ConnectorLabel, type DestinationStatus } from './status.js';
