// The mock relay's public face: everything a unit test, an e2e fixture or the CLI needs.
export { startRelay, Relay, DEFAULT_API_KEY, DEFAULT_MODELS } from './server';
export type { RelayOptions, RecordedRequest, RequestKind } from './server';
export type { ChatBody, RecordedChatMessage, RecordedImagePart } from './chat';
export { IMAGES_REJECTED } from './chat';
export { SCENARIO_NAMES } from './scenarios';
export { FIXTURE_BUDGET_MS, FIXTURE_SCENARIO_NAMES, fixtureOfScenario, fixturePlan } from './fixture-stream';
export type { FixtureScenarioName } from './fixture-stream';
export type { ScenarioName, ScenarioSpec } from './scenarios';
export { FRAMINGS } from './framing';
export type { Framing } from './framing';
export type { RelayJob, TaskSource, JobStatus } from './jobs';
export type { VideoApi, VideoJob, VideoFlavour, VideoJobSpec, JobStep, JobStatus as VideoJobStatus } from './videos';
export { VIDEO_FLAVOURS } from './videos-spec';
export { contentBytes, contentSize } from './videos-content';
export type { ContentOptions } from './videos-content';
export type { RecordedForm, RecordedFile, RecordedField, ImageInfo } from './multipart';
export type { MediaLinks, ExpiredStatus } from './links';
