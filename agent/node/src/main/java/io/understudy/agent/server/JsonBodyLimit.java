package io.understudy.agent.server;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Bounds JSON request bodies (assignments and the like are small); a larger one gets 413 before
 * it is buffered. Deltas are streamed and bounded by their own format instead.
 */
final class JsonBodyLimit implements ReaderInterceptor {

    private final long max;

    JsonBodyLimit(long max) {
        this.max = max;
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (MediaType.APPLICATION_JSON_TYPE.isCompatible(context.getMediaType())) {
            context.setInputStream(new Bounded(context.getInputStream(), max));
        }
        return context.proceed();
    }

    private static final class Bounded extends FilterInputStream {
        private final long max;
        private long read;

        Bounded(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count(Math.max(n, 0));
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > max) {
                throw new WebApplicationException("JSON body larger than " + max + " bytes",
                        Response.Status.REQUEST_ENTITY_TOO_LARGE);
            }
        }
    }
}
