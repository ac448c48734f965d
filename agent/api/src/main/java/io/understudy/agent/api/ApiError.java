package io.understudy.agent.api;

/** The body of every non-2xx answer: the status again and one line saying what was wrong. */
public record ApiError(int status, String message) {}
