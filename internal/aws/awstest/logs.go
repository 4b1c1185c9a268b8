// The CloudWatch Logs service of the fake: the log events of Batch jobs.

package awstest

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// LogEvent is a CloudWatch Logs event.
type LogEvent struct {
	Timestamp time.Time
	Message   string
}

func (f *Fake) getLogEvents(in any, _ *restArgs) (any, error) {
	req := in.(*cloudwatchlogs.GetLogEventsInput)
	evs, ok := f.logs[str(req.LogGroupName)+"\x00"+str(req.LogStreamName)]
	if !ok {
		return nil, errf(400, "ResourceNotFoundException", "The specified log stream does not exist.")
	}
	// One event per page; the last page repeats its token, as AWS does.
	start := 0
	if t := str(req.NextToken); t != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(t, "f/"))
	}
	end := min(start+1, len(evs))
	var out []m
	for _, e := range evs[start:end] {
		out = append(out, m{"timestamp": e.Timestamp.UnixMilli(), "message": e.Message, "ingestionTime": e.Timestamp.UnixMilli()})
	}
	return m{"events": out, "nextForwardToken": "f/" + strconv.Itoa(end), "nextBackwardToken": "b/0"}, nil
}
