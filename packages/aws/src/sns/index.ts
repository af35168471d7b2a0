export { messageAttributesOf, SnsEventPublisher, type SnsEventPublisherConfig } from "./sns-event-publisher";
