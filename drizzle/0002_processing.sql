CREATE TABLE `effects` (
	`event_id` integer NOT NULL,
	`key` text NOT NULL,
	`result` text NOT NULL,
	`completed_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `key`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `source_states` (
	`source` text PRIMARY KEY NOT NULL,
	`forward_disabled_at` integer,
	`forward_disabled_reason` text
);
--> statement-breakpoint
DROP INDEX `events_due`;--> statement-breakpoint
ALTER TABLE `events` ADD `ordering_key` text;--> statement-breakpoint
ALTER TABLE `events` ADD `order_at` integer;--> statement-breakpoint
ALTER TABLE `events` ADD `blocked` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `events_line` ON `events` (`source`,`ordering_key`,`order_at`,`id`) WHERE order_at IS NOT NULL AND status IN ('new', 'processing');--> statement-breakpoint
CREATE INDEX `events_line_active` ON `events` (`source`,`ordering_key`) WHERE order_at IS NOT NULL AND (status = 'processing' OR (status = 'new' AND blocked = 0));--> statement-breakpoint
CREATE INDEX `events_bodies` ON `events` (`processed_at`) WHERE status = 'processed' AND body IS NOT NULL;--> statement-breakpoint
CREATE INDEX `events_due` ON `events` (`next_attempt_at`) WHERE status = 'new' AND blocked = 0;--> statement-breakpoint
ALTER TABLE `attempts` ADD `response_ms` integer;