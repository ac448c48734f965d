package io.understudy.agent.bench;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The bench's option types: sizes as operators write them (4G, 512M) and shares (2%). */
final class Amounts {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)(?:I?B)?");
    private static final Pattern SHARE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*%?");

    private Amounts() {}

    /** Bytes, with binary suffixes K, M, G, T (KiB, MiB... and KB, MB... read the same). */
    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            Matcher m = SIZE.matcher(value.strip().toUpperCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a size (e.g. 4G, 512M)");
            }
            int shift = "KMGT".indexOf(m.group(2)) * 10 + 10;
            try {
                long number = Long.parseLong(m.group(1));
                return m.group(2).isEmpty() ? number : Math.multiplyExact(number, 1L << shift);
            } catch (ArithmeticException | NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is too large");
            }
        }
    }

    /** A share in (0, 1], written as a percentage with or without its sign: 2%, 0.5%, 2. */
    static final class Share implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            Matcher m = SHARE.matcher(value.strip());
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a percentage (e.g. 2%)");
            }
            double percent = Double.parseDouble(m.group(1));
            if (percent <= 0 || percent > 100) {
                throw new TypeConversionException("'" + value + "' is not a percentage in (0, 100]");
            }
            return percent / 100;
        }
    }

    /** 2147483648 as "2.0 GiB": the table is for people. */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
