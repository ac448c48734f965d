package io.understudy.agent.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.logging.Handler;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * What the agent in this JVM logs while it is open, as {@code serve} logs it: its own loggers and,
 * through the same bridge, Grizzly's and Jersey's java.util.logging.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final java.util.logging.Logger jul = java.util.logging.LogManager.getLogManager().getLogger("");
    private final Handler[] julHandlers = jul.getHandlers();

    public LogCapture() {
        for (Handler h : julHandlers) {
            jul.removeHandler(h);
        }
        SLF4JBridgeHandler.install();
        appender.start();
        root.addAppender(appender);
    }

    /** Each event as its level, logger and message, e.g. {@code WARN Authentication: refused ...}. */
    public List<String> lines() {
        return events().stream()
                .map(e -> e.getLevel() + " " + e.getLoggerName().replaceAll(".*\\.", "") + ": "
                        + e.getFormattedMessage())
                .toList();
    }

    /** The events that came with a stack trace. */
    public List<String> withStackTraces() {
        return events().stream().filter(e -> e.getThrowableProxy() != null)
                .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
    }

    private List<ILoggingEvent> events() {
        // The appender adds under its own lock (AppenderBase.doAppend).
        synchronized (appender) {
            return List.copyOf(appender.list);
        }
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        SLF4JBridgeHandler.uninstall();
        for (Handler h : julHandlers) {
            jul.addHandler(h);
        }
    }
}
