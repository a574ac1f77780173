CREATE INDEX `events_received_at` ON `events` (`received_at`);--> statement-breakpoint
CREATE INDEX `events_processed_at` ON `events` (`processed_at`,`status`) WHERE processed_at IS NOT NULL;