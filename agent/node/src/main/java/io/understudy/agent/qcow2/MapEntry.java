package io.understudy.agent.qcow2;

/**
 * One run of a chain's guest bytes as {@code qemu-img map --output=json} describes it: the depth
 * of the layer that answers, whether that layer has the bytes (present), whether they read as
 * zeros, whether they are stored data, and where in that layer's file ({@code offset}, or -1).
 */
public record MapEntry(long start, long length, int depth, boolean present, boolean zero, boolean data, long offset) {

    public long end() {
        return start + length;
    }

    /** qemu-img map's rule for folding the next entry into this one. */
    public boolean mergeableWith(MapEntry next) {
        if (zero != next.zero || data != next.data || depth != next.depth || present != next.present) {
            return false;
        }
        if ((offset >= 0) != (next.offset >= 0)) {
            return false;
        }
        return offset < 0 || offset + length == next.offset;
    }

    public MapEntry mergedWith(MapEntry next) {
        return new MapEntry(start, length + next.length, depth, present, zero, data, offset);
    }

    /** The same JSON qemu-img map prints for one entry. */
    public String toJson() {
        StringBuilder s = new StringBuilder(120);
        s.append("{ \"start\": ").append(start)
                .append(", \"length\": ").append(length)
                .append(", \"depth\": ").append(depth)
                .append(", \"present\": ").append(present)
                .append(", \"zero\": ").append(zero)
                .append(", \"data\": ").append(data);
        if (offset >= 0) {
            s.append(", \"offset\": ").append(offset);
        }
        return s.append('}').toString();
    }
}
