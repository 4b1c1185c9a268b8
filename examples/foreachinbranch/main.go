// Command foreachinbranch puts a foreach in each branch of a static
// branch: one branch upper-cases letters, the other cubes digits, each in
// its own foreach; the outer join combines both.
//
//	go run ./examples/foreachinbranch run
//
// Final artifacts: Letters=["a" "b" "c"], Digits=[2 3 4], Word="ABC",
// CubeSum=99 (= 8+27+64), Summary="ABC/99".
package main

import (
	"strconv"
	"strings"

	"github.com/stepflow/stepflow"
)

// ForeachInBranchFlow runs two foreaches side by side.
type ForeachInBranchFlow struct {
	Letters []string
	Digits  []int
	Up      string // one upper task's letter
	Cube    int    // one cube task's cube
	Word    string
	CubeSum int
	Summary string
}

// Start branches.
func (f *ForeachInBranchFlow) Start(c *stepflow.Context) error { return nil }

// LettersStep lists the letters of its branch.
func (f *ForeachInBranchFlow) LettersStep(c *stepflow.Context) error {
	f.Letters = []string{"a", "b", "c"}
	return nil
}

// Upper upper-cases one letter.
func (f *ForeachInBranchFlow) Upper(c *stepflow.Context) error {
	f.Up = strings.ToUpper(stepflow.Item[string](c))
	return nil
}

// JoinLetters concatenates the letters in order (an empty Letters gives
// it no inputs, and the empty word).
func (f *ForeachInBranchFlow) JoinLetters(c *stepflow.Context, in []*ForeachInBranchFlow) error {
	f.Word = ""
	for _, t := range in {
		f.Word += t.Up
	}
	return nil
}

// DigitsStep lists the digits of its branch.
func (f *ForeachInBranchFlow) DigitsStep(c *stepflow.Context) error {
	f.Digits = []int{2, 3, 4}
	return nil
}

// CubeStep cubes one digit.
func (f *ForeachInBranchFlow) CubeStep(c *stepflow.Context) error {
	d := f.Digits[c.Index()]
	f.Cube = d * d * d
	return nil
}

// JoinDigits adds the cubes.
func (f *ForeachInBranchFlow) JoinDigits(c *stepflow.Context, in []*ForeachInBranchFlow) error {
	f.CubeSum = 0
	for _, t := range in {
		f.CubeSum += t.Cube
	}
	return nil
}

// Join combines the branches (letters first, as in Branch).
func (f *ForeachInBranchFlow) Join(c *stepflow.Context, in []*ForeachInBranchFlow) error {
	f.Letters, f.Word = in[0].Letters, in[0].Word
	f.Digits, f.CubeSum = in[1].Digits, in[1].CubeSum
	return nil
}

// End summarizes.
func (f *ForeachInBranchFlow) End(c *stepflow.Context) error {
	f.Summary = f.Word + "/" + strconv.Itoa(f.CubeSum)
	c.Printf("%s\n", f.Summary)
	return nil
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[ForeachInBranchFlow] {
	return stepflow.New[ForeachInBranchFlow]("ForeachInBranchFlow").
		Step("start", (*ForeachInBranchFlow).Start, stepflow.Branch("letters", "digits")).
		Step("letters", (*ForeachInBranchFlow).LettersStep, stepflow.Foreach("Letters", "upper")).
		Step("upper", (*ForeachInBranchFlow).Upper, stepflow.Next("join_letters")).
		Join("join_letters", (*ForeachInBranchFlow).JoinLetters, stepflow.Next("join"), stepflow.Drop("Up")).
		Step("digits", (*ForeachInBranchFlow).DigitsStep, stepflow.Foreach("Digits", "cube")).
		Step("cube", (*ForeachInBranchFlow).CubeStep, stepflow.Next("join_digits")).
		Join("join_digits", (*ForeachInBranchFlow).JoinDigits, stepflow.Next("join"), stepflow.Drop("Cube")).
		Join("join", (*ForeachInBranchFlow).Join, stepflow.Next("end")).
		Step("end", (*ForeachInBranchFlow).End)
}

func main() { stepflow.Main(newFlow()) }
