/**
 * The controller's configuration ({@code understudy serve --config FILE}): one typed record per
 * concern, every key named, documented and validated, durations as durations. Unknown keys are
 * refused with their line, so a misspelt setting never silently falls back to its default.
 */
package io.understudy.scheduler.config;
