package deploy

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
)

func TestQueueArchs(t *testing.T) {
	ce := func(name string, typ batchtypes.CRType, types ...string) batchtypes.ComputeEnvironmentDetail {
		return batchtypes.ComputeEnvironmentDetail{ComputeEnvironmentName: aws.String(name),
			ComputeResources: &batchtypes.ComputeResource{Type: typ, InstanceTypes: types}}
	}
	cases := []struct {
		ces  []batchtypes.ComputeEnvironmentDetail
		want string
	}{
		{[]batchtypes.ComputeEnvironmentDetail{ce("a", batchtypes.CRTypeEc2, "optimal")}, "amd64"},
		{[]batchtypes.ComputeEnvironmentDetail{ce("a", batchtypes.CRTypeFargate)}, "amd64"},
		{[]batchtypes.ComputeEnvironmentDetail{ce("a", batchtypes.CRTypeSpot, "m7g.large", "c6gn", "x2gd.xlarge", "im4gn", "is4gen.large", "g5g", "a1.medium", "default_arm64")}, "arm64"},
		{[]batchtypes.ComputeEnvironmentDetail{ce("a", batchtypes.CRTypeEc2, "g4dn.xlarge", "m6i", "inf2", "c6in.large", "p4d.24xlarge", "default_x86_64")}, "amd64"},
		{[]batchtypes.ComputeEnvironmentDetail{ce("a", batchtypes.CRTypeEc2, "m6i"), ce("b", batchtypes.CRTypeEc2, "m7g")}, "amd64,arm64"},
		{[]batchtypes.ComputeEnvironmentDetail{{ComputeEnvironmentName: aws.String("unmanaged")}}, "amd64"},
	}
	for _, c := range cases {
		q := QueueArchs{}
		for _, e := range c.ces {
			q.addCE("q", e)
		}
		var got []string
		for _, a := range q.Archs() {
			got = append(got, string(a))
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%v: archs %v, want %s", c.ces[0].ComputeResources, got, c.want)
		}
	}
	q := QueueArchs{}
	q.addCE("gpu", ce("ce-1", batchtypes.CRTypeEc2, "m7g.large"))
	if why := q.Why("arm64"); why != "job queue gpu (compute environment ce-1: m7g.large)" {
		t.Errorf("Why = %q", why)
	}
}
